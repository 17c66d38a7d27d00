"""The dbt project as Dagster sees it: groups from the dbt folder a model lives in."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject

from pipeline.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Rebuilds the manifest under `dagster dev` only; `make manifest` (dbt parse) does it otherwise.
dbt_project.prepare_if_dev()

# dbt folder -> Dagster group (the graph reads raw -> features -> model -> segments -> actions -> serving).
FOLDER_GROUPS = {"staging": "features", "intermediate": "features", "features": "features", "segments": "segments",
                 "actions": "actions"}


class ChurnDbtTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        fqn = props.get("fqn", [])  # ["churn", "<folder>", ..., "<model>"]
        group = FOLDER_GROUPS.get(fqn[1]) if len(fqn) > 2 else None
        return spec.replace_attributes(group_name=group) if group else spec
