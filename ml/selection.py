"""Which model of a training is registered: the best honest one, candidate or baseline."""

from ml.compare import RunResult

GATE_METRIC = "roc_auc"


def pick_best(results: list[RunResult], ece_ceiling: float) -> RunResult:
    """Highest validation ROC-AUC among the models within the calibration ceiling (among all if
    none is): a baseline that ranks better than every candidate wins. The first wins a tie, so
    list the simpler models first."""
    calibrated = [r for r in results if r.metrics.get("ece", 0.0) <= ece_ceiling]
    return max(calibrated or results, key=lambda r: r.metrics.get(GATE_METRIC, 0.0))


def versus_the_other_kind(best: RunResult, results: list[RunResult]) -> str:
    """E.g. "best: recency (baseline) roc_auc 0.7012; best candidate: gradient_boosting 0.6410"."""
    text = f"best: {best.name} ({best.kind}) {GATE_METRIC} {best.metrics[GATE_METRIC]:.4f}"
    others = [r for r in results if r.kind != best.kind]
    if not others:
        return f"{text}; no {'candidate' if best.kind == 'baseline' else 'baseline'} fitted"
    other = max(others, key=lambda r: r.metrics[GATE_METRIC])
    return f"{text}; best {other.kind}: {other.name} {other.metrics[GATE_METRIC]:.4f}"
