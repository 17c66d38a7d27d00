"""P(churn) of the same users with some features replaced: the predictions behind reasons and
causes (many replacements of one frame).

A gradient-boosted model's raw score is its baseline plus the sum of its trees' leaves, and a
tree that never splits on a feature gives the same leaf whatever that feature holds. So for the
champion (HistGradientBoosting, alone or in a sigmoid- or isotonic-calibrated ensemble) a
replacement predicts again only the trees that split on the replaced features, only for the
rows whose values change, in place of their stored leaves (each tree's leaf for each row, kept:
8 bytes x trees x rows, 290 MB for 60 k rows of the 3 x 200-tree champion): the probabilities
of predicting every tree again, to float rounding (tests/ml/test_occlusion.py). The trees are
walked on the rows as the model bins them (a byte per value, not a double), where each split
sends a value the way its raw threshold does; with fewer copies, scoring and explaining 100 k
users went 2.7x faster. A tree is predicted again only for the rows whose replaced values fall on
the other side of one of its splits on them (a threshold between the old and the new bin): its
other rows keep their leaf, as their path through it is the same. Any other model (a baseline,
a pipeline) is predicted whole.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier

from ml.frame import one_thread

AGREEMENT = 1e-9  # the stored scores must match the model's own prediction this closely


@dataclass
class _Trees:
    """One HistGradientBoosting model of the ensemble, its calibrator, and for the rows of x
    each tree's leaf (`leaf`, rows x iterations), their sum, the raw score (`raw`), and the
    rows as the model bins them (`binned`)."""

    model: HistGradientBoostingClassifier
    calibrator: object | None  # None: the model's own sigmoid
    trees_on: dict[int, list[int]] = field(init=False)  # feature index -> iterations that split on it
    # feature index -> per iteration of trees_on, how many of its split thresholds lie below each
    # bin (iterations x 257): rows whose old and new bins differ in it cross a split of that tree
    thresholds_below: dict[int, np.ndarray] = field(init=False)
    leaf: np.ndarray = field(init=False)
    raw: np.ndarray = field(init=False)
    binned: np.ndarray = field(init=False)

    def __post_init__(self):
        self.trees_on, below = {}, {}
        for i, (tree,) in enumerate(self.model._predictors):
            splits = tree.nodes[tree.nodes["is_leaf"] == 0]
            for j in np.unique(splits["feature_idx"]):
                self.trees_on.setdefault(int(j), []).append(i)
                at = np.bincount(splits["bin_threshold"][splits["feature_idx"] == j], minlength=256)
                below.setdefault(int(j), []).append(np.concatenate([[0], np.cumsum(at)]))
        self.thresholds_below = {j: np.array(rows, dtype=np.int32) for j, rows in below.items()}

    def predict(self, x: np.ndarray) -> None:
        """Each tree's leaf for the rows of x (binned, as `change` reads them), and the raw
        scores: as the model's own prediction (sklearn's _predict_iterations), tree by tree, one
        thread."""
        self.binned = self.model._bin_mapper.transform(x)
        missing = self.model._bin_mapper.missing_values_bin_idx_
        # Column-major: a tree's leaves of many rows are read together (Occlusion.replaced).
        self.leaf = np.empty((len(x), len(self.model._predictors)), order="F")
        for i, (tree,) in enumerate(self.model._predictors):
            self.leaf[:, i] = tree.predict_binned(self.binned, missing, 1)
        self.raw = self.model._baseline_prediction[0] + np.zeros(len(x))
        for i in range(self.leaf.shape[1]):  # summed in the model's order: its very raw scores
            self.raw += self.leaf[:, i]

    def bins(self, values: np.ndarray, columns: list[int]) -> np.ndarray:
        """The bins of values (rows x columns) of those feature columns, as the model's binning
        maps them: bin b holds thresholds[b - 1] < value <= thresholds[b]; NaN its own bin."""
        mapper = self.model._bin_mapper
        out = np.empty(values.shape, dtype=self.binned.dtype)
        for k, j in enumerate(columns):
            out[:, k] = np.searchsorted(mapper.bin_thresholds_[j], values[:, k], side="left")
        out[np.isnan(values)] = mapper.missing_values_bin_idx_
        return out

    def change(self, rows: np.ndarray, columns: list[int], new_bins: np.ndarray) -> np.ndarray:
        """How much the raw score of each of `rows` changes when those feature columns are set to
        new_bins (rows x columns, binned). A split is value <= threshold, and bin <= the
        threshold's bin holds exactly those values: the leaves of the model's own prediction,
        found on a row of bytes instead of doubles. Of each tree, only the rows that cross one of
        its splits on the columns are predicted again."""
        missing = self.model._bin_mapper.missing_values_bin_idx_
        old_bins = self.binned[np.ix_(rows, columns)]
        iterations = sorted({i for j in columns for i in self.trees_on.get(j, ())})
        position = {i: k for k, i in enumerate(iterations)}
        crossed = np.zeros((len(iterations), len(rows)), dtype=bool)
        for k, j in enumerate(columns):
            if j not in self.trees_on:
                continue
            old, new = old_bins[:, k], new_bins[:, k]
            lower, upper = np.minimum(old, new), np.maximum(old, new)
            below = self.thresholds_below[j]  # a threshold t in [lower, upper) sends them apart
            crosses = below[:, upper] != below[:, lower]
            # A missing value follows the split's missing_go_to_left, not a threshold.
            crosses |= ((old == missing) | (new == missing)) & (old != new)
            crossed[[position[i] for i in self.trees_on[j]]] |= crosses
        change = np.zeros(len(rows))
        if not crossed.any():
            return change
        binned = self.binned[rows]
        binned[:, columns] = new_bins
        for k, i in enumerate(iterations):
            moved = np.flatnonzero(crossed[k])
            if len(moved):
                leaf = self.model._predictors[i][0].predict_binned(binned[moved], missing, 1)
                change[moved] += leaf - self.leaf[rows[moved], i]
        return change

    def probability(self, raw: np.ndarray) -> np.ndarray:
        return self.calibrator.predict(raw) if self.calibrator is not None else expit(raw)


class Occlusion:
    """`base`: P(churn) of every row of x; `replaced(rows, values)`: P(churn) of those rows with
    the given columns set to the values (a number, or one per selected row)."""

    def __init__(self, model, x: pd.DataFrame):
        self.model, self.x = model, x
        self._parts = _tree_parts(model, x)
        if self._parts:
            names = self._parts[0].model.feature_names_in_
            self._column = {name: j for j, name in enumerate(names)}
            self._x = x[list(names)].to_numpy(dtype=np.float64)
            for part in self._parts:
                part.predict(self._x)
            self.base = self._probability([part.raw for part in self._parts])
            # Only while the stored scores are the model's own (a wrapper could change them),
            # and values are binned here as the model bins them (its private API could move).
            every = list(range(self._x.shape[1]))
            if np.abs(self.base[:64] - _churn_probability(model, x.iloc[:64])).max() > AGREEMENT or not all(
                    np.array_equal(part.bins(self._x[:64], every), part.binned[:64]) for part in self._parts):
                self._parts = None
        if not self._parts:
            self.base = _churn_probability(model, x) if len(x) else np.zeros(0)

    @classmethod
    def of(cls, model, x: pd.DataFrame) -> "Occlusion":
        """An Occlusion of x: the one given as `model` if it is one over x's rows and columns."""
        if isinstance(model, Occlusion):
            if not (model.x.index.equals(x.index) and list(model.x.columns) == list(x.columns)):
                raise ValueError("this Occlusion was made for other rows or columns")
            return model
        return cls(model, x)

    def replaced(self, rows: np.ndarray, values: dict) -> np.ndarray:
        rows = np.flatnonzero(rows) if rows.dtype == bool else np.asarray(rows)
        if not self._parts:
            return _churn_probability(self.model, self.x.iloc[rows].assign(**values))
        known = {name: value for name, value in values.items() if name in self._column}  # others change nothing
        columns = [self._column[name] for name in known]
        # The replaced columns first: only the rows they change are predicted again.
        old = self._x[np.ix_(rows, columns)]
        new = old.copy()
        for k, value in enumerate(known.values()):
            new[:, k] = value
        changed = np.flatnonzero(((new != old) & ~(np.isnan(new) & np.isnan(old))).any(axis=1))
        raws = []
        for part in self._parts:
            raw = part.raw[rows].copy()
            if len(changed):  # their new leaves in place of the stored ones
                raw[changed] += part.change(rows[changed], columns, part.bins(new[changed], columns))
            raws.append(raw)
        return self._probability(raws)

    def _probability(self, raws: list[np.ndarray]) -> np.ndarray:
        """The mean of the parts' probabilities, as CalibratedClassifierCV.predict_proba takes it."""
        return sum(part.probability(raw) for part, raw in zip(self._parts, raws)) / len(raws)


def _tree_parts(model, x: pd.DataFrame) -> list[_Trees] | None:
    """The HistGradientBoosting models (with their calibrators) whose mean is the model's
    P(churn), or None for any other model (or one that needs columns x lacks)."""
    if not len(x):
        return None
    estimator = model
    if hasattr(model, "get_raw_model"):  # pyfunc -> sklearn; a baseline's python model has none
        try:
            estimator = model.get_raw_model()
        except NotImplementedError:
            return None
    if isinstance(estimator, CalibratedClassifierCV):
        parts = []
        for calibrated in estimator.calibrated_classifiers_:
            if calibrated.method not in ("sigmoid", "isotonic") or len(calibrated.calibrators) != 1 \
                    or not _plain_binary_trees(calibrated.estimator, x):
                return None
            parts.append(_Trees(calibrated.estimator, calibrated.calibrators[0]))
        return parts
    return [_Trees(estimator, None)] if _plain_binary_trees(estimator, x) else None


def _plain_binary_trees(estimator, x: pd.DataFrame) -> bool:
    """A fitted binary HistGradientBoostingClassifier on numeric columns that x has."""
    return (isinstance(estimator, HistGradientBoostingClassifier) and hasattr(estimator, "feature_names_in_")
            and estimator.n_trees_per_iteration_ == 1 and estimator.is_categorical_ is None
            and set(estimator.feature_names_in_) <= set(x.columns))


def _churn_probability(model, x: pd.DataFrame) -> np.ndarray:
    with one_thread():
        if hasattr(model, "predict_proba"):
            return model.predict_proba(x)[:, 1]
        output = np.asarray(model.predict(x), dtype=float)  # pyfunc logged with predict_proba
    return output[:, 1] if output.ndim == 2 else output
