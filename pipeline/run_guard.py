"""What keeps `pipeline.cli run` safe to start at any time: one run per data folder, and no
leftovers of a run that was killed.

- `exclusive_run(data_dir)`: an exclusive, non-blocking lock on `<data>/pipeline.lock`, held for
  the whole run. A second run exits at once with who holds it. The OS drops the lock when the
  holder dies (kill -9 included), so a crashed run never blocks the next one.
- `sweep_dead_runs(instance)`: under that lock no other `pipeline.cli run` is alive, so runs
  still in flight in the Dagster instance were left by a dead process: they are marked failed
  (or canceled if they had not started) and the `duckdb` pool slots they hold are freed;
  otherwise the next run waits for the slot forever.
- `private_dir(path)`: the data folder and the Dagster home are readable by their owner only.
"""

import datetime as dt
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

LOCK_FILE = "pipeline.lock"
# The Dagster daemon (`make dev`) writes a heartbeat every 30 s; older than this, it is not running.
DAEMON_ALIVE_SECONDS = 120
_CANCEL_NOT_FAIL = {dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.CANCELING}


class RunInProgress(Exception):
    """Another run works on this data folder: this one must not start."""


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) readable by its owner only; tighten it if it exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != 0o700:
        os.chmod(path, 0o700)


@contextmanager
def exclusive_run(data_dir: Path) -> Iterator[Path]:
    """Hold `<data_dir>/pipeline.lock` for the block, or raise RunInProgress at once."""
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by subprocesses (PEP 446)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise RunInProgress(_held_message(path, os.pread(fd, 4096, 0).decode(errors="replace"))) from None
        os.ftruncate(fd, 0)
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.pwrite(fd, f"pid={os.getpid()}\nstarted={started}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock; the file stays, with the last holder's pid


def _held_message(path: Path, content: str) -> str:
    holder = dict(line.split("=", 1) for line in content.splitlines() if "=" in line)
    pid, started = holder.get("pid", "unknown"), holder.get("started", "unknown")
    message = f"another run is in progress (pid {pid}, started {started}); it holds {path}."
    if pid.isdigit() and not _alive(int(pid)):
        # The OS drops the lock of a dead process, so a child of it must still hold the file.
        return message + f" Process {pid} has ended but a child of it still holds the lock: find it with `fuser -v {path}`."
    return message + f" Wait for it to finish, or stop it (kill {pid}) and run again: the next run cleans up after it."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail or cancel the runs a dead process left in flight and free their pool slots; one line per run.

    Call it while holding `exclusive_run`: then every in-process run (`pipeline.cli run`, no
    code-location origin) still in flight is dead. A run launched by the Dagster daemon or UI
    (`make dev`) is dead only if the daemon is not running; if it is, RunInProgress is raised
    and nothing is changed.
    """
    from pipeline.jobs import IN_FLIGHT_STATUSES

    in_flight = instance.get_runs(filters=dg.RunsFilter(statuses=IN_FLIGHT_STATUSES))
    launched = [r for r in in_flight if r.remote_job_origin is not None]
    if launched and _daemon_running(instance):
        run = launched[0]
        raise RunInProgress(
            f"run {run.run_id} of {run.job_name} ({run.status.value}) was launched from the Dagster UI or "
            "daemon, which is running (make dev); wait for it to finish or terminate it in the UI, then run again."
        )
    lines = []
    storage = instance.event_log_storage
    slots = storage.supports_global_concurrency_limits
    for run in in_flight:
        if run.status in _CANCEL_NOT_FAIL:
            instance.report_run_canceled(run, message="Canceled by pipeline.cli run: the process that owned this run is gone.")
            outcome = "canceled"
        else:
            instance.report_run_failed(run, message="Marked failed by pipeline.cli run: the process running it died.")
            outcome = "failed"
        if slots:
            storage.free_concurrency_slots_for_run(run.run_id)
        started = instance.get_run_record_by_id(run.run_id)
        when = _when(started.start_time if started else None)
        lines.append(f"Swept run {run.run_id} of {run.job_name} left {run.status.value} by a dead process{when}: "
                     f"marked {outcome}, its pool slots freed; its days run again.")
    if slots:  # slots still held by runs that ended (e.g. marked failed in the UI after their process died)
        for run_id in sorted(storage.get_concurrency_run_ids()):
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                lines.append(f"Freed the pool slots still held by run {run_id} "
                             f"({run.status.value if run else 'deleted'}).")
    return lines


def _daemon_running(instance: dg.DagsterInstance) -> bool:
    beats = instance.get_daemon_heartbeats().values()
    return any(beat.timestamp > time.time() - DAEMON_ALIVE_SECONDS for beat in beats)


def _when(start_time: float | None) -> str:
    if start_time is None:
        return ""
    return f" (started {dt.datetime.fromtimestamp(start_time).astimezone().isoformat(timespec='seconds')})"
