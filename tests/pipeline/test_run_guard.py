"""`pipeline.cli run` is safe to start at any time: one run per data folder, nothing left
blocking after a killed run, and a failed or changed day is loaded again. Fast: no pipeline run."""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import dagster as dg
import pytest
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.utils import make_new_run_id
from dagster._daemon.types import DaemonHeartbeat

from pipeline.jobs import FINGERPRINTS, JOB_NAME, PARTITION, RANGE_END, RANGE_START, build_daily_job, \
    build_landing_sensor, landing_days_to_run, run_tags
from pipeline.run_guard import RunInProgress, exclusive_run, private_dir, sweep_dead_runs
from pipeline.settings import DEFAULT_MAPPING_FILE, REPO_ROOT, Settings

S = dg.DagsterRunStatus
DAYS = [f"2026-01-0{i}" for i in range(1, 6)]


# --- the lock ---------------------------------------------------------------------------------

def test_a_second_holder_is_refused_at_once_and_a_killed_holder_leaves_no_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import pathlib, time
        from pipeline.run_guard import exclusive_run
        with exclusive_run(pathlib.Path({str(tmp_path)!r})):
            print("held", flush=True)
            time.sleep(300)
    """)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(RunInProgress) as refused:
            with exclusive_run(tmp_path):
                pass
        assert time.monotonic() - started < 2  # no waiting
        assert f"another run is in progress (pid {holder.pid}, started " in str(refused.value)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        holder.kill()
    with exclusive_run(tmp_path) as lock:  # the dead holder's lock went with it
        assert f"pid={os.getpid()}" in lock.read_text()


def test_the_lock_is_exclusive_within_one_process_too_and_released_after_the_block(tmp_path):
    with exclusive_run(tmp_path):
        with pytest.raises(RunInProgress, match=f"pid {os.getpid()}"):
            with exclusive_run(tmp_path):
                pass
    with exclusive_run(tmp_path):
        pass


def test_cli_run_exits_75_while_another_run_holds_the_data_folder(tmp_path, monkeypatch, capsys):
    from pipeline import cli

    monkeypatch.setenv("CHURN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "data" / "dagster_home"))
    monkeypatch.setattr(sys, "argv", ["pipeline.cli", "run"])
    (tmp_path / "data").mkdir(mode=0o755)
    with exclusive_run(tmp_path / "data"):
        assert cli.main() == cli.EXIT_RUN_IN_PROGRESS
    assert "Not started: another run is in progress" in capsys.readouterr().err
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert (tmp_path / "data" / "dagster_home" / "dagster.yaml").exists()


def test_the_data_folder_is_made_and_tightened_owner_only(tmp_path):
    fresh, loose = tmp_path / "new" / "data", tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    private_dir(fresh)
    private_dir(loose)
    assert stat.S_IMODE(fresh.stat().st_mode) == stat.S_IMODE(loose.stat().st_mode) == 0o700


# --- the sweep --------------------------------------------------------------------------------

@pytest.fixture
def instance(tmp_path):
    (tmp_path / "dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home"),
                              overrides={"concurrency": {"pools": {"default_limit": 1}}}) as inst:
        yield inst


def add_run(instance, status, tags=None, launched=False, job_name=JOB_NAME):
    origin = None
    if launched:  # as if the daemon had launched it from a code location
        repo = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("pipeline"), "__repository__")
        origin = RemoteJobOrigin(repo, job_name)
    run = dg.DagsterRun(job_name=job_name, run_id=make_new_run_id(), status=status, tags=tags or {},
                        remote_job_origin=origin)
    instance.add_run(run)
    return run


def test_the_sweep_fails_a_dead_started_run_and_frees_its_pool_slot(instance):
    storage = instance.event_log_storage
    storage.set_concurrency_slots("duckdb", 1)
    dead = add_run(instance, S.STARTED)
    queued = add_run(instance, S.NOT_STARTED)
    done = add_run(instance, S.SUCCESS)
    assert storage.claim_concurrency_slot("duckdb", dead.run_id, "raw_events").is_claimed
    nxt = make_new_run_id()
    assert not storage.claim_concurrency_slot("duckdb", nxt, "raw_events").is_claimed  # what issue 12 saw
    storage.free_concurrency_slots_for_run(nxt)

    lines = sweep_dead_runs(instance)

    assert instance.get_run_by_id(dead.run_id).status == S.FAILURE
    assert instance.get_run_by_id(queued.run_id).status == S.CANCELED
    assert instance.get_run_by_id(done.run_id).status == S.SUCCESS
    assert len(lines) == 2 and dead.run_id in lines[0] + lines[1] and queued.run_id in lines[0] + lines[1]
    assert storage.get_concurrency_run_ids() == set()
    assert storage.claim_concurrency_slot("duckdb", nxt, "raw_events").is_claimed
    storage.free_concurrency_slots_for_run(nxt)
    assert sweep_dead_runs(instance) == []  # nothing left the second time


def test_the_sweep_frees_slots_still_held_by_a_run_that_already_ended(instance):
    storage = instance.event_log_storage
    storage.set_concurrency_slots("duckdb", 1)
    ended = add_run(instance, S.FAILURE)  # e.g. marked failed in the UI after its process died
    assert storage.claim_concurrency_slot("duckdb", ended.run_id, "raw_events").is_claimed
    assert [ended.run_id in line for line in sweep_dead_runs(instance)] == [True]
    assert storage.get_concurrency_run_ids() == set()


def test_a_daemon_run_is_left_alone_while_the_daemon_runs_and_swept_once_it_is_gone(instance):
    run = add_run(instance, S.STARTED, launched=True)
    instance.add_daemon_heartbeat(DaemonHeartbeat(time.time(), "SENSOR", None, None))
    with pytest.raises(RunInProgress, match=run.run_id):
        sweep_dead_runs(instance)
    assert instance.get_run_by_id(run.run_id).status == S.STARTED
    instance.wipe_daemon_heartbeats()
    instance.add_daemon_heartbeat(DaemonHeartbeat(time.time() - 3600, "SENSOR", None, None))
    assert len(sweep_dead_runs(instance)) == 1
    assert instance.get_run_by_id(run.run_id).status == S.FAILURE


# --- the days to run --------------------------------------------------------------------------

@pytest.fixture
def settings(tmp_path):
    for day in DAYS:
        folder = tmp_path / "landing" / "events" / f"date={day}"
        folder.mkdir(parents=True)
        (folder / "events.csv").write_text(f"user_id,event_time,event_type\nu1,{day} 10:00:00,visit\n")
    return Settings(data_dir=str(tmp_path), mapping_file=str(DEFAULT_MAPPING_FILE), first_day="2026-01-01")


PARTITIONS = dg.DailyPartitionsDefinition(start_date="2026-01-01")


def due(instance, settings):
    return landing_days_to_run(instance, PARTITIONS, settings)


def test_days_not_covered_by_a_successful_run_are_due_and_a_failed_runs_days_again(instance, settings):
    assert due(instance, settings) == DAYS
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS[:3]))
    add_run(instance, S.FAILURE, run_tags(settings, DAYS[3:]))  # raw_events loaded, a later step failed
    assert due(instance, settings) == DAYS[3:]
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS[3:]))
    assert due(instance, settings) == []


def test_a_day_whose_last_run_failed_is_due_even_after_an_earlier_success(instance, settings):
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS))
    add_run(instance, S.FAILURE, run_tags(settings, DAYS[-1:]))  # a re-run of the latest day failed
    assert due(instance, settings) == DAYS[-1:]


def test_a_loaded_day_whose_files_changed_is_due(instance, settings):
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS))
    late = settings.landing_events / f"date={DAYS[1]}" / "late.csv"
    late.write_text(f"user_id,event_time,event_type\nu2,{DAYS[1]} 11:00:00,visit\n")
    assert due(instance, settings) == [DAYS[1]]
    add_run(instance, S.SUCCESS, run_tags(settings, [DAYS[1]]))
    assert due(instance, settings) == []
    late.unlink()  # a file taken away changes the day too
    assert due(instance, settings) == [DAYS[1]]


def test_runs_without_fingerprints_and_single_partition_runs_count(instance, settings):
    add_run(instance, S.SUCCESS, {RANGE_START: DAYS[0], RANGE_END: DAYS[2]})  # from before the tag, or a test
    add_run(instance, S.SUCCESS, {PARTITION: DAYS[3]})  # the schedule's runs
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS), job_name="some_other_job")  # not the daily job
    assert due(instance, settings) == [DAYS[4]]


def test_a_day_in_flight_is_left_to_its_run(instance, settings):
    add_run(instance, S.QUEUED, run_tags(settings, DAYS), launched=True)
    assert due(instance, settings) == []


def test_a_failed_run_without_days_makes_the_latest_day_due(instance, settings):
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS))
    add_run(instance, S.FAILURE, {})
    assert due(instance, settings) == [DAYS[-1]]


def test_the_run_tags_fingerprint_every_landing_day_of_the_range(settings):
    tags = run_tags(settings, [DAYS[1], DAYS[3]])
    assert (tags[RANGE_START], tags[RANGE_END]) == (DAYS[1], DAYS[3])
    assert sorted(json.loads(tags[FINGERPRINTS])) == DAYS[1:4]


def test_the_sensor_picks_the_same_days(instance, settings):
    sensor = build_landing_sensor(build_daily_job(), PARTITIONS)
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS[:3]))
    add_run(instance, S.FAILURE, run_tags(settings, DAYS[3:]))
    with dg.build_sensor_context(instance=instance, resources={"settings": settings}) as ctx:
        request = sensor(ctx)
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (DAYS[3], DAYS[4])
    assert sorted(json.loads(request.tags[FINGERPRINTS])) == DAYS[3:]
    add_run(instance, S.SUCCESS, run_tags(settings, DAYS[3:]))
    with dg.build_sensor_context(instance=instance, resources={"settings": settings}) as ctx:
        assert isinstance(sensor(ctx), dg.SkipReason)
