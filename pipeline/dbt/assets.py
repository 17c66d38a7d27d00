"""dbt models as Dagster assets, in three invocations so that Python assets can sit between.

- daily: staging + the incremental user-day model, partitioned like raw_events;
- features: observation spine, features and labels (read by the model assets);
- segments and actions: marts that read the model's scores and customer values, with the
  playbook seed.
dbt tests become asset checks of the models they test.
"""

from datetime import timedelta

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipeline.dbt.project import ChurnDbtTranslator, dbt_project
from pipeline.settings import Settings

TRANSLATOR = ChurnDbtTranslator()


def build_dbt_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    @dbt_assets(
        manifest=dbt_project.manifest_path, project=dbt_project, select="tag:daily", name="dbt_daily_models",
        partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=TRANSLATOR, pool="duckdb",
    )
    def dbt_daily_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings):
        window = context.partition_time_window
        # The window end is exclusive; dbt's end_date is the last landing day, inclusive.
        run_vars = settings.dbt_vars_with(start_date=f"{window.start:%Y-%m-%d}", end_date=f"{window.end - timedelta(days=1):%Y-%m-%d}")
        yield from dbt.cli(["build", "--vars", run_vars], context=context).stream()

    @dbt_assets(
        manifest=dbt_project.manifest_path, project=dbt_project, select="path:models/features",
        name="dbt_feature_models", dagster_dbt_translator=TRANSLATOR, pool="duckdb",
    )
    def dbt_feature_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings):
        yield from dbt.cli(["build", "--vars", settings.dbt_vars_with()], context=context).stream()

    @dbt_assets(
        manifest=dbt_project.manifest_path, project=dbt_project, select="path:models/segments tag:actions",
        name="dbt_segment_models", dagster_dbt_translator=TRANSLATOR, pool="duckdb",
    )
    def dbt_segment_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings):
        yield from dbt.cli(["build", "--vars", settings.dbt_vars_with()], context=context).stream()

    return [dbt_daily_models, dbt_feature_models, dbt_segment_models]
