"""Where `make run`'s output goes: a line per step on the terminal, the details in a log file.

The details are Dagster's INFO log (a line per landing day loaded, per dbt model and test),
dbt's own output (dagster-dbt writes it to stdout) and library warnings: they go to
<data>/logs/run-<time>.log. The Dagster instance keeps the run's full event log as well
(`make dev`, Runs). Two Dagster loggers, selected by the run's config: the built-in console
logger, writing to the log file while stdout and stderr point there, and `step_progress`,
which writes the end of each step to the terminal.
"""

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

import dagster as dg


def new_log_path(data_dir: Path) -> Path:
    return data_dir / "logs" / f"run-{datetime.now():%Y%m%d-%H%M%S}.log"


@contextlib.contextmanager
def details_to(log_path: Path) -> Iterator[TextIO]:
    """stdout and stderr into the log file; yields the terminal (the stdout before)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    terminal = sys.stdout
    colors = os.environ.get("DBT_USE_COLORS")
    os.environ["DBT_USE_COLORS"] = "false"  # a file, not a terminal: no escape codes from dbt
    try:
        with open(log_path, "a", buffering=1) as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            yield terminal
    finally:
        if colors is None:
            os.environ.pop("DBT_USE_COLORS")
        else:
            os.environ["DBT_USE_COLORS"] = colors


def run_loggers(terminal: TextIO) -> tuple[dict[str, dg.LoggerDefinition], dict]:
    """The job's loggers and the run config that turns them on."""
    loggers = {"console": dg.colored_console_logger, "step_progress": _step_progress_logger(terminal)}
    config = {"loggers": {"console": {"config": {"log_level": "INFO"}}, "step_progress": {}}}
    return loggers, config


class _StepProgress(logging.Handler):
    """One line when a step ends (with its duration), waits for a pool slot, or an asset check fails."""

    def __init__(self, terminal: TextIO):
        super().__init__(level=logging.DEBUG)  # step events are logged at DEBUG
        self.terminal = terminal

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        if event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            line = f"  {event.step_key:<28} done in {event.event_specific_data.duration_ms / 1000:5.0f} s"
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:  # the step's own error, not Dagster's wrapper
                error = error.cause
            line = f"  {event.step_key:<28} FAILED: {error.message.strip() if error else event.message}"
        elif event.event_type == dg.DagsterEventType.ENGINE_EVENT and "blocked by limit for pool" in (event.message or ""):
            # Otherwise a step waiting for another run's pool slot looks like a hang.
            line = f"  {event.step_key:<28} {event.message.lower()}: another run holds it"
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not event.event_specific_data.passed:
            check = event.event_specific_data
            line = f"  {'':<28} check {check.check_name} on {check.asset_key.to_user_string()} failed ({check.severity.value})"
        else:
            return
        print(line, file=self.terminal, flush=True)


def _step_progress_logger(terminal: TextIO) -> dg.LoggerDefinition:
    def init(_context) -> logging.Logger:
        logger = logging.Logger("step_progress", level=logging.DEBUG)
        logger.addHandler(_StepProgress(terminal))
        return logger

    return dg.LoggerDefinition(init, description="The end of each step, on the terminal that started the run.")
