"""dbt models as Dagster assets, in three invocations so that Python assets can sit between.

- daily: staging + the incremental user-day model, partitioned like raw_events;
- features: observation spine, features and labels (read by the model assets);
- segments and actions: marts that read the model's scores and customer values, with the
  playbook seed.
dbt tests become asset checks of the models they test.
"""

import os
from datetime import date, timedelta

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipeline.dbt import feature_definition
from pipeline.dbt.project import ChurnDbtTranslator, dbt_project
from pipeline.engine.models import attach_spark_models
from pipeline.engine.sources import export_for_dbt
from pipeline.jobs import PARTITION, RANGE_END, RANGE_START
from pipeline.retries import retry_if_transient
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
        yield from build(context, dbt, settings, f"{window.start:%Y-%m-%d}", f"{window.end - timedelta(days=1):%Y-%m-%d}")

    @dbt_assets(
        manifest=dbt_project.manifest_path, project=dbt_project, select="path:models/features",
        name="dbt_feature_models", dagster_dbt_translator=TRANSLATOR, pool="duckdb",
    )
    def dbt_feature_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings):
        # A run that (re)loads past landing days recomputes the observation dates after them;
        # a changed definition (dbt vars, SQL) recomputes them all.
        definition = feature_definition.fingerprint(settings)
        changed = feature_definition.stored(settings) != definition
        if changed:
            context.log.info("Features: no build under this definition (dbt vars and SQL) yet: every observation date is computed")
        yield from build(context, dbt, settings, *_run_days(context), full_refresh=changed)
        feature_definition.store(settings, definition)

    @dbt_assets(
        manifest=dbt_project.manifest_path, project=dbt_project, select="path:models/segments tag:actions",
        name="dbt_segment_models", dagster_dbt_translator=TRANSLATOR, pool="duckdb",
    )
    def dbt_segment_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings):
        yield from build(context, dbt, settings, *_run_days(context))

    return [dbt_daily_models, dbt_feature_models, dbt_segment_models]


def _run_days(context: dg.AssetExecutionContext) -> tuple[str | None, str | None]:
    """The landing days the run loads (its partition range), for the unpartitioned steps."""
    tags = context.run.tags
    first = tags.get(RANGE_START) or tags.get(PARTITION)
    last = tags.get(RANGE_END) or first
    return (f"{date.fromisoformat(first)}", f"{date.fromisoformat(last)}") if first else (None, None)


def build(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings,
          start_date: str | None, end_date: str | None, *, full_refresh: bool = False):
    """`dbt build` of the asset's selection. The landing days of the run go to dbt in the
    CHURN_RUN_START_DATE / _END_DATE environment variables (macro run_var), not --vars: dbt
    parses the whole project again whenever --vars change, so every invocation gets the same
    --vars and target folder and reuses the last one's parse (partial_parse.msgpack). The
    engine's target (CHURN_ENGINE) picks where the models are built."""
    env = {"CHURN_RUN_START_DATE": start_date or "", "CHURN_RUN_END_DATE": end_date or "", **settings.duckdb_env()}
    if settings.engine == "spark":  # dbt reads the Python steps' tables as Parquet there (pipeline/engine/)
        env.update(export_for_dbt(settings.warehouse, settings.spark_sources))
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # dbt's subprocess inherits the environment (steps run one at a time)
    try:
        invocation = dbt.cli(["build", "--target", settings.dbt_target_name, "--vars", settings.dbt_vars_with(),
                              *(["--full-refresh"] if full_refresh else []),
                              # Unit tests check SQL logic on fixed inputs: as dbt advises, in CI and
                              # development (make test), not in every run (about 10 s of each).
                              "--exclude-resource-type", "unit_test"],
                             context=context, target_path=settings.dbt_target)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    with retry_if_transient():  # a warehouse locked by another process: retried (pipeline/retries.py)
        yield from invocation.stream()
    if settings.engine == "spark":  # the Python steps read what Spark built as Parquet (pipeline/engine/)
        attach_spark_models(settings.warehouse, settings.spark_models)
