"""PSI: near zero for the same distribution, large for a shifted one, missing values count."""

import numpy as np
import pandas as pd
import pytest

from ml.drift import drift_table, psi, score_and_feature_drift


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(0)


def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift(rng):
    reference, same = rng.normal(size=20_000), rng.normal(size=20_000)
    assert psi(reference, same) < 0.01
    assert psi(reference, same + 1.0) > 0.25
    assert 0.1 < psi(reference, same + 0.4) < psi(reference, same + 1.0)


def test_psi_counts_missing_values_as_a_bin_and_copes_with_ties(rng):
    counts = rng.poisson(0.3, 20_000).astype(float)  # mostly zeros: few distinct deciles
    assert psi(counts, rng.poisson(0.3, 20_000)) < 0.01
    now_missing = counts.copy()
    now_missing[:5000] = np.nan
    assert psi(counts, now_missing) > 0.25


def test_drift_table_ranks_columns_by_psi(rng):
    n = 5000
    reference = pd.DataFrame({"churn_probability": rng.uniform(size=n), "a": rng.normal(size=n)})
    current = pd.DataFrame({"churn_probability": rng.uniform(size=n) ** 2, "a": rng.normal(size=n)})
    table = score_and_feature_drift(reference, current, ["a"])
    assert table["column"].tolist() == ["churn_probability", "a"]
    assert table["level"].tolist() == ["major", "stable"]
    assert drift_table(reference, current, ["a"])["psi"].iloc[0] < 0.01
