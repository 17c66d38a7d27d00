"""Say at WARNING, not only in Dagster's DEBUG log, when a step waits for the `duckdb` pool.

Dagster logs "Step blocked by limit for pool duckdb" (then every 5 minutes "still blocked")
as a DEBUG engine event, which the console of `make run` and the daemon's log hide. The
instance (pipeline/dagster.yaml, python_logs) hands Dagster's records to this handler too: it
writes those two, and only those, to stderr as WARNINGs that say what is happening and what to do.
"""

import logging

BLOCKED = "blocked by limit for pool"


class PoolWaitHandler(logging.StreamHandler):  # stderr by default
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if BLOCKED not in message:
            return
        meta = getattr(record, "dagster_meta", None) or {}  # Dagster's metadata of the record
        pool = message.rsplit(" ", 1)[-1]
        text = (f"Run {meta.get('run_id') or '?'}: step {meta.get('step_key') or '?'} is waiting for the "
                f"'{pool}' pool, held by another run's step (one step at a time writes the warehouse); it "
                "starts when that run ends. If no other run is alive, stop this one and `make run` again: "
                "it frees the slots of dead runs.")
        super().emit(logging.makeLogRecord({"name": __name__, "levelno": logging.WARNING,
                                            "levelname": "WARNING", "msg": text}))
