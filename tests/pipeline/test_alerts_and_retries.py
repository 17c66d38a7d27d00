"""Runs recover by themselves or say so: transient step failures are retried and nothing else,
a failed run leaves an alert (alerts.log and the webhook) from the sensor and from `make run`
alike, and a step waiting for the duckdb pool says so at WARNING."""

import errno
import json
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import duckdb
import pytest
import yaml

import pipeline.retries
from pipeline.alerts import ALERTS_FILE, LAUNCHED_BY, alert_on_run_failure, failure_alert, write_alert
from pipeline.retries import is_transient, retry_if_transient
from pipeline.settings import DEFAULT_MAPPING_FILE, REPO_ROOT, Settings

LOCKED = 'IO Error: Could not set lock on file "/data/warehouse.duckdb": Conflicting lock is held in python (PID 42)'


def settings_in(tmp_path, webhook="") -> Settings:
    return Settings(data_dir=str(tmp_path), mapping_file=str(DEFAULT_MAPPING_FILE), alert_webhook=webhook)


def run_job(instance, error: Exception | None, fail_times: int = 1, tags=None):
    """A one-asset job whose step raises `error` its first `fail_times` attempts, through
    retry_if_transient like the pipeline's steps; returns (result, attempts)."""
    attempts = []

    @dg.asset
    def load_day():
        attempts.append(1)
        with retry_if_transient():
            if error is not None and len(attempts) <= fail_times:
                raise error

    job = dg.Definitions(assets=[load_day], jobs=[dg.define_asset_job("daily_pipeline")]).resolve_job_def("daily_pipeline")
    return job.execute_in_process(instance=instance, raise_on_error=False, tags=tags), len(attempts)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.mark.parametrize("error, transient", [
    (duckdb.IOException(LOCKED), True),
    (RuntimeError("dbt build failed.\n\nErrors parsed from dbt logs:\n" + LOCKED), True),
    (RuntimeError("(sqlite3.OperationalError) database is locked"), True),
    (BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"), True),
    (duckdb.CatalogException("Table with name events does not exist"), False),
    (FileNotFoundError(errno.ENOENT, "No such file", "landing/x.csv"), False),
    (ValueError("churn_definition 'x' is not one of no_order, ..."), False),
])
def test_only_locks_and_try_again_errors_are_transient(error, transient):
    assert is_transient(error) is transient


def test_a_transient_failure_is_retried_and_a_deterministic_one_is_not(instance, monkeypatch):
    monkeypatch.setattr(pipeline.retries, "TRANSIENT_RETRY", dg.RetryPolicy(max_retries=2, delay=0))
    result, attempts = run_job(instance, duckdb.IOException(LOCKED))
    assert result.success and attempts == 2
    result, attempts = run_job(instance, duckdb.IOException(LOCKED), fail_times=5)
    assert not result.success and attempts == 3  # the first try and max_retries retries
    result, attempts = run_job(instance, ValueError("a deterministic bug"))
    assert not result.success and attempts == 1


def read_alerts(path) -> list[dict]:
    return [json.loads(line) for line in (path / ALERTS_FILE).read_text().splitlines()]


def test_the_cli_and_the_sensor_write_the_same_alert_once(instance, tmp_path):
    settings = settings_in(tmp_path)
    # `make run`: the CLI builds the alert from its in-process result.
    result, _ = run_job(instance, ValueError("amount 1e308 out of range"), tags={LAUNCHED_BY: "cli"})
    write_alert(settings, failure_alert(result.run_id, "daily_pipeline", result.get_step_failure_events()))
    # The daemon's sensor skips that run (the CLI reported it) and reports a daemon-launched one.
    daemon_result, _ = run_job(instance, ValueError("bad SQL"))
    for run_result in (result, daemon_result):
        failure = run_result.get_run_failure_event()
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure", dagster_event=failure, dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run_result.run_id), resources={"settings": settings},
        ).for_run_failure()
        alert_on_run_failure(context)
    cli_alert, sensor_alert = read_alerts(tmp_path)
    assert (cli_alert["run_id"], sensor_alert["run_id"]) == (result.run_id, daemon_result.run_id)
    for alert, message in ((cli_alert, "amount 1e308 out of range"), (sensor_alert, "bad SQL")):
        assert alert["job"] == "daily_pipeline" and alert["failed_step"] == "load_day"
        assert message in alert["error"] and alert["time"]
    assert stat.S_IMODE((tmp_path / ALERTS_FILE).stat().st_mode) == 0o600


def test_the_webhook_gets_the_alert_and_an_unreachable_one_loses_nothing(tmp_path):
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    alert = {"time": "t", "run_id": "r1", "job": "daily_pipeline", "failed_step": "serving", "error": "disk full"}
    write_alert(settings_in(tmp_path, f"http://127.0.0.1:{server.server_port}/hook"), alert)
    server.server_close()
    assert received[0]["run_id"] == "r1" and "serving" in received[0]["text"]
    write_alert(settings_in(tmp_path, f"http://127.0.0.1:{server.server_port}/hook"), {**alert, "run_id": "r2"})
    assert [a["run_id"] for a in read_alerts(tmp_path)] == ["r1", "r2"]


def test_a_step_waiting_for_the_duckdb_pool_says_so_at_warning(tmp_path, capfd):
    """With the instance settings of pipeline/dagster.yaml: a run whose step waits for the pool
    (held by another run) prints a WARNING naming the step and the pool, then runs when freed."""
    overrides = yaml.safe_load((REPO_ROOT / "pipeline" / "dagster.yaml").read_text())
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:

        @dg.asset(pool="duckdb")
        def writer():
            return 1

        storage = instance.event_log_storage
        storage.set_concurrency_slots("duckdb", 1)
        storage.claim_concurrency_slot("duckdb", "other-run", "other_step")
        waited = []

        def free_once_the_step_waits():
            # Once the engine has logged the wait: freeing the slot as soon as the step is
            # pending could beat that log on a loaded machine.
            for _ in range(600):
                pending = [step for step in storage.get_concurrency_info("duckdb").pending_steps
                           if step.run_id != "other-run"]
                if pending and any("blocked by limit" in (entry.message or "")
                                   for entry in instance.all_logs(pending[0].run_id)):
                    waited.append(True)
                    break
                time.sleep(0.1)
            storage.free_concurrency_slots_for_run("other-run")

        freer = threading.Thread(target=free_once_the_step_waits)
        freer.start()
        job = dg.Definitions(assets=[writer], jobs=[dg.define_asset_job("j")]).resolve_job_def("j")
        assert job.execute_in_process(instance=instance).success
        freer.join()
    assert waited  # the step did wait for the slot
    err = capfd.readouterr().err
    assert "WARNING" in err and "step writer is waiting for the 'duckdb' pool" in err
