"""Every training setting in one place, with the defaults the pipeline runs with."""

from dataclasses import dataclass, field

from ml.metrics import DEFAULT_CAPACITY
from ml.segments import MIN_SEGMENT_ROWS, SEGMENT_COLUMNS

DEFAULT_HORIZON_DAYS = 30


@dataclass(frozen=True)
class TrainingConfig:
    # Days ahead the label looks; None takes params["churn_horizon_days"] (then 30). Only the
    # BG/NBD baseline uses it: it predicts "no order in the next horizon_days".
    horizon_days: int | None = None
    # Users the team can contact per observation date (>= 1), or a share of them (< 1).
    capacity: float = DEFAULT_CAPACITY
    # Below auc_floor the best model is reported as weak (a warning: it is still the best honest
    # model). Above ece_ceiling a model is not picked while a calibrated one exists, nor promoted
    # over a champion. Besides, the best must beat the champion on the same validation rows.
    auc_floor: float = 0.6
    ece_ceiling: float = 0.1
    calibration_method: str = "sigmoid"  # or "isotonic"; see ml/candidates.py for the choice
    calibration_folds: int = 3  # fewer if the rows cannot fill them; see ml/calibration.py
    logistic_params: dict = field(default_factory=dict)  # overrides candidates.LOGISTIC_PARAMS
    segment_columns: tuple[str, ...] = SEGMENT_COLUMNS
    min_segment_rows: int = MIN_SEGMENT_ROWS
    min_buyers: int = 100  # fewer users with orders than this and BG/NBD is skipped
    # Validation curves and permutation importance (~10 s of a training); tests turn it off.
    diagnostics: bool = True

    def horizon(self, params: dict | None) -> int:
        if self.horizon_days is not None:
            return int(self.horizon_days)
        return int((params or {}).get("churn_horizon_days") or DEFAULT_HORIZON_DAYS)

    def gates(self) -> dict[str, float]:
        return {"auc_floor": self.auc_floor, "ece_ceiling": self.ece_ceiling}
