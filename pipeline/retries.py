"""Retries of steps that failed for a passing reason, and only those.

A step is retried when its error is transient: a DuckDB file or MLflow database locked by
another process (a BI tool or a shell that opened the warehouse for writing, the UI's MLflow),
or an OS error that says "try again". Everything else (bad SQL, a failed dbt test, a mapping
error, too little data to train) is deterministic: it fails at once, since a retry would fail
the same way after minutes of work. Dagster's RetryPolicy retries on any error, so the steps
raise RetryRequested themselves, with the policy's backoff: about 30 s, 90 s, 210 s (exponential, with jitter).
"""

import errno
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster_duckdb import DuckDBResource

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
# Words of lock errors, wherever they surface: duckdb.IOException, a dbt log line, sqlite via MLflow.
LOCK_WORDS = ("could not set lock on file", "conflicting lock", "database is locked")
TRY_AGAIN_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.ETIMEDOUT, errno.EINTR}


def is_transient(err: BaseException) -> bool:
    """True for a lock held by another process or an OS 'try again', anywhere in the cause chain."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in TRY_AGAIN_ERRNOS:
            return True
        if any(words in str(err).lower() for words in LOCK_WORDS):
            return True
        err = err.__cause__ or err.__context__
    return False


@contextmanager
def retry_if_transient() -> Iterator[None]:
    """In a step: turn a transient error into a Dagster retry of the step; let others fail it."""
    try:
        yield
    except dg.RetryRequested:
        raise
    except Exception as err:
        context = _current_step()
        if context is None or not is_transient(err):  # outside a step (a script, a test) nothing retries
            raise
        attempt = context.retry_number + 1
        if attempt > TRANSIENT_RETRY.max_retries:
            raise
        wait = TRANSIENT_RETRY.calculate_delay(attempt)
        context.log.warning(f"Transient failure, retry {attempt} of {TRANSIENT_RETRY.max_retries} "
                            f"in {wait:.0f} s: {(str(err).splitlines() or [repr(err)])[0][:300]}")
        raise dg.RetryRequested(max_retries=TRANSIENT_RETRY.max_retries, seconds_to_wait=wait) from err


def _current_step() -> dg.OpExecutionContext | None:
    try:
        return dg.OpExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return None


class WarehouseDuckDB(DuckDBResource):
    """DuckDBResource whose transient errors become step retries. Its connect already retries
    for about 100 s; a lock held longer (a BI tool writing) waits for the next attempt."""

    @contextmanager
    def get_connection(self):
        with retry_if_transient(), super().get_connection() as con:
            yield con
