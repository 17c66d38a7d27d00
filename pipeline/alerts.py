"""An alert the operator sees when a run fails: a JSON line in <data>/alerts.log and, when
CHURN_ALERT_WEBHOOK is set, a POST of the same JSON to that URL (Slack, Teams, a pager...).

Both ways a run is started write it: the run-failure sensor for runs of the Dagster daemon
(schedule, landing sensor, UI), and `pipeline.cli run` itself for `make run`, which executes
in process where sensors do not run. The sensor leaves the CLI's runs (tag LAUNCHED_BY) to it,
so no failure is reported twice.
"""

import datetime as dt
import json
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg

from pipeline.settings import Settings

ALERTS_FILE = "alerts.log"
LAUNCHED_BY = "churn/launched_by"  # run tag; "cli" for `pipeline.cli run`
WEBHOOK_TIMEOUT_SECONDS = 5
logger = logging.getLogger(__name__)


def failure_alert(run_id: str, job: str, step_failures: list[dg.DagsterEvent], run_message: str = "") -> dict:
    """The alert of a failed run: its first failed step and that step's error (else the run's message)."""
    first = step_failures[0] if step_failures else None
    error = first.step_failure_data.error if first is not None and first.step_failure_data else None
    while error is not None and error.cause is not None:  # Dagster's wrapper -> the step's own error
        error = error.cause
    return {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "job": job,
        "failed_step": first.step_key if first is not None else None,
        "error": _one_line(error.message if error else run_message),
        "failed_steps": [event.step_key for event in step_failures],
    }


def write_alert(settings: Settings, alert: dict) -> Path:
    """Append `alert` to <data>/alerts.log (owner-only) and POST it to the webhook, if any.
    An unreachable webhook is logged, never raised: the alert is in the file either way."""
    path = settings.root / ALERTS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as file:
        file.write(json.dumps(alert, ensure_ascii=False) + "\n")
    if settings.alert_webhook:
        _post(settings.alert_webhook, alert)
    return path


def _post(url: str, alert: dict) -> None:
    text = f"Run {alert['run_id']} of {alert['job']} failed at {alert['failed_step']}: {alert['error']}"
    body = json.dumps({"text": text, **alert}).encode()  # "text": what Slack / Teams webhooks show
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS):
            pass
    except (urllib.error.URLError, OSError, ValueError) as err:
        logger.warning("Alert webhook %s not reached (%s); the alert is in %s", url, err, ALERTS_FILE)


def _one_line(message: str, limit: int = 2000) -> str:
    return " ".join(message.split())[:limit]


@dg.run_failure_sensor(name="alert_on_run_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Writes <data>/alerts.log and posts to CHURN_ALERT_WEBHOOK when a run fails.")
def alert_on_run_failure(context: dg.RunFailureSensorContext, settings: Settings):
    run = context.dagster_run
    if run.tags.get(LAUNCHED_BY) == "cli":
        return  # `pipeline.cli run` wrote this one's alert itself
    alert = failure_alert(run.run_id, run.job_name, context.get_step_failure_events(),
                          context.failure_event.message or "")
    path = write_alert(settings, alert)
    context.log.info(f"Alert written to {path}")
