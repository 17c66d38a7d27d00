"""Apply the pending deletion requests: suppress, erase from the published files and the
warehouse, audit. What both `python -m pipeline.cli delete-users` and the Dagster asset run.

Order matters for a crash halfway: the users are suppressed first (no later load brings them
back), then the published files are rewritten, then the warehouse rows are deleted and the
audit row written in ONE transaction, and last the warehouse file is rewritten so that the
deleted rows leave no bytes in it. A request without its audit row is pending and is applied
again in full by the next call (every step is idempotent).
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.privacy.files import compact
from pipeline.privacy.requests import DeletionRequest, DeletionRequestError, read_request, request_files
from pipeline.privacy.serving import erase_from_serving
from pipeline.privacy.suppression import Suppression, folder_key, suppress, user_hash
from pipeline.privacy.warehouse import applied_digests, delete_users, write_audit
from pipeline.settings import Settings


@dataclass(frozen=True)
class Applied:
    request_file: str
    users: int
    rows_deleted: dict[str, int]

    def __str__(self) -> str:
        total = sum(self.rows_deleted.values())
        tables = sum(1 for n in self.rows_deleted.values() if n)
        return f"{self.request_file}: {self.users} user(s), {total} row(s) deleted from {tables} table(s)/file(s)"


Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass(frozen=True)
class Outcome:
    applied: list[Applied]
    refused: list[str]  # one error per bad file, naming the file and line: nothing of it applied


def apply_pending_requests(connect: Connect, settings: Settings, requested_by: str | None = None) -> Outcome:
    """Apply every request file not applied yet.

    `connect()` opens the warehouse; it is closed before the file is rewritten. A bad file is
    refused whole without holding back the other users' requests.
    """
    files = request_files(settings.landing_deletions)
    if not files:
        return Outcome([], [])
    key = folder_key(settings.root)
    applied, errors = [], []
    with connect() as con:
        done = applied_digests(con)
        for path in files:
            try:
                request = read_request(path, key)
            except DeletionRequestError as err:
                errors.append(str(err))
                continue
            if request.digest not in done:
                applied.append(_apply(con, settings, request, requested_by))
                done.add(request.digest)
    if applied:
        compact(settings.warehouse)
    return Outcome(applied, errors)


def _apply(con: duckdb.DuckDBPyConnection, settings: Settings, request: DeletionRequest, requested_by: str | None) -> Applied:
    ids = list(request.user_ids)
    key = suppress(settings.root, ids).key
    these_users = Suppression(key, frozenset(user_hash(key, u) for u in ids))
    counts = erase_from_serving(settings.serving_db, settings.serving_dir, ids)
    con.execute("begin transaction")
    try:
        counts = {**{f"warehouse:{t}": n for t, n in delete_users(con, ids, these_users).items()}, **counts}
        name = _shown(request.path, settings.root)
        write_audit(con, requested_by, name, request.digest, len(ids), counts)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return Applied(name, len(ids), counts)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
