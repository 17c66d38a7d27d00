"""Every declared feature has plain words and a known family: none reaches BI as a column name.

The declarations are the `meta` of churn_training_set's columns in dbt; feature_catalog (and
its dbt tests) carries them to the model, with the per-type features' words.
"""

import re

import yaml

from ml.reasons import FAMILIES
from pipeline.settings import DBT_PROJECT_DIR

FEATURES_DIR = DBT_PROJECT_DIR / "models" / "features"


def declared_features() -> dict[str, dict]:
    spec = yaml.safe_load((FEATURES_DIR / "_features__models.yml").read_text())
    model = next(m for m in spec["models"] if m["name"] == "churn_training_set")
    return {c["name"]: c["config"]["meta"] for c in model["columns"] if c.get("config", {}).get("meta", {}).get("feature")}


def test_every_declared_feature_has_words_and_a_known_family():
    declared = declared_features()
    assert len(declared) > 30
    assert all(meta["words"] and meta["words"] != name for name, meta in declared.items())
    assert {meta["family"] for meta in declared.values()} <= set(FAMILIES)


def test_every_declared_feature_is_a_column_the_feature_models_compute():
    sql = " ".join(path.read_text() for path in [*FEATURES_DIR.rglob("user_*.sql"), FEATURES_DIR / "churn_training_set.sql"])
    # The training set renames some joined columns in macro training_set_joins: ('name', 'expression');
    # windowed features are named in the lists of macro per_date_aggregates: ('name', 'sum', ...).
    joins = (DBT_PROJECT_DIR / "macros" / "training_set.sql").read_text()
    computed = set(re.findall(r"\bas (\w+)", sql)) | set(re.findall(r"\('(\w+)', '", sql + joins))
    assert sorted(set(declared_features()) - computed) == []
