"""The descriptions the serving file carries (COMMENT ON), taken from the dbt docs.

A dbt model's column without a description of its own takes the description of the same
column in the nearest upstream model (action_queue.user_id is action_assignments.user_id):
most published columns are passed through, and writing each description once keeps them
from drifting apart.
"""

import json
from pathlib import Path

from pipeline.serving.publish import TableDoc


def dbt_docs(manifest_path: Path, models: list[str]) -> dict[str, TableDoc]:
    """TableDoc of each named dbt model, from dbt's manifest.json."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    by_name = {node["name"]: uid for uid, node in nodes.items() if node["resource_type"] == "model"}
    docs = {}
    for model in models:
        if model not in by_name:
            raise KeyError(f"{manifest_path}: no dbt model named {model!r} to take the serving file's comments from")
        uid = by_name[model]
        docs[model] = TableDoc(_clean(nodes[uid]["description"]), _column_docs(nodes, uid))
    return docs


def _column_docs(nodes: dict, uid: str) -> dict[str, str]:
    """The model's column descriptions, then its ancestors' nearest first (breadth-first)."""
    columns: dict[str, str] = {}
    queue, seen = [uid], {uid}
    while queue:
        node = nodes[queue.pop(0)]
        for name, column in node.get("columns", {}).items():
            if text := _clean(column.get("description", "")):
                columns.setdefault(name, text)
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent in nodes and parent not in seen:  # sources and seeds documented elsewhere are skipped
                seen.add(parent)
                queue.append(parent)
    return columns


def _clean(text: str) -> str:
    return " ".join(text.split())
