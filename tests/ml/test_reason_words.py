"""Every feature the training set offers has plain words: none reaches BI as a column name."""

import re

from ml.reasons import OTHER, describe
from pipeline.settings import DBT_PROJECT_DIR


def training_set_features() -> list[str]:
    sql = (DBT_PROJECT_DIR / "models" / "features" / "churn_training_set.sql").read_text()
    aliased = re.findall(r"\bas (\w+),?\n", sql)
    plain = re.findall(r"^\s+\w+\.(\w+),?$", sql, flags=re.M)
    user_features = (DBT_PROJECT_DIR / "models" / "features" / "user_features.sql").read_text()
    base = re.findall(r"\bas (\w+),?\n", user_features.split("select\n    window_features.user_id")[-1])
    base += re.findall(r"window_features\.(\w+),?$", user_features, flags=re.M)
    models = set(re.findall(r"ref\('(\w+)'\)", sql))  # "... }} as user_features" is a table alias
    not_features = {"user_id", "as_of_date", "churned", "label_mature", "value_tier", "lifecycle_stage"} | models
    return sorted(set(aliased + plain + base) - not_features)


def test_every_training_feature_has_words_and_a_family():
    features = training_set_features()
    assert len(features) > 30
    undescribed = [f for f in features if describe(f)[1] == OTHER]
    assert undescribed == []
