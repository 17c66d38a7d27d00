"""Deletion request files: `<data>/landing/deletions/*.csv`, one column `user_id`, one user a line."""

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.raw.contract import stored_id


class DeletionRequestError(ValueError):
    """A request file that cannot be trusted as a whole: nothing of it is applied."""


@dataclass(frozen=True)
class DeletionRequest:
    path: Path
    user_ids: tuple[str, ...]  # distinct, in file order
    digest: str  # keyed hash of the file's bytes: which request was applied, without its ids


def request_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.csv") if p.is_file())


def read_request(path: Path, key: str) -> DeletionRequest:
    """The ids of one file; a bad row fails the whole file, naming the file and the line."""
    content = path.read_bytes()
    try:
        lines = content.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise DeletionRequestError(f"{path}: not UTF-8 text ({err})") from err
    rows = list(csv.reader(lines))
    header = [name.strip() for name in rows[0]] if rows else []
    # Errors never quote a value of the file: it may be an id, and errors reach Dagster's logs.
    if header != ["user_id"]:
        raise DeletionRequestError(f"{path}, line 1: the header must be the one column user_id "
                                   f"(found {len(header)} column(s), not that one)")
    ids: dict[str, None] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row:  # a blank line
            continue
        if len(row) != 1:
            raise DeletionRequestError(f"{path}, line {line}: expected one field (user_id), found {len(row)}")
        if not row[0].strip():
            raise DeletionRequestError(f"{path}, line {line}: user_id is empty")
        # Ids are compared as the loader stores them: "ｕ６ " is user u6.
        ids[stored_id(row[0])] = None
    if not ids:
        raise DeletionRequestError(f"{path}: holds no user_id below its header")
    digest = hashlib.sha256(key.encode() + b"\x1f" + content).hexdigest()
    return DeletionRequest(path, tuple(ids), digest)
