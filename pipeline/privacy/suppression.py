"""Users who asked to be deleted, kept out of every later load without keeping their ids.

The list holds keyed hashes, sha256(key + US + user_id), never the plain id: a copy of the
list (or of the warehouse next to it) does not say who asked, and without the key nobody can
test a guessed id against it. The key is random per data folder and lives in its own
owner-only file, so the hashes of two data folders cannot be matched either. Losing the key
makes the list useless: back up `<data>/privacy/` with the data.

An HMAC would do as well (a plain, unkeyed sha256 would not: ids are easy to guess and hash);
key-prefixed sha256 is used because DuckDB computes the same value in SQL (`sha256(key || chr(31) || user_id)`), which lets the subscriptions load
filter in SQL with the very hashes the event load uses.

The list is a file beside the warehouse rather than a table in it, so that a warehouse
rebuilt from the landing files (deleted, restored from an old backup) still leaves them out.
"""

import csv
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from pipeline.raw.contract import stored_id

KEY_FILE = "suppression.key"
LIST_FILE = "suppressed_users.csv"
SEPARATOR = "\x1f"  # ASCII unit separator: cannot be part of an id read from CSV or JSON
# Tokens of a rejected row's raw content that may be a user id (see mentions_any).
_TOKENS = re.compile(r"[^\s\"',:;{}\[\]]+")


def user_hash(key: str, user_id: str) -> str:
    return hashlib.sha256(f"{key}{SEPARATOR}{user_id}".encode()).hexdigest()


@dataclass(frozen=True)
class Suppression:
    key: str
    hashes: frozenset[str]

    def __contains__(self, user_id) -> bool:
        """Whether an id (as given, or as the loader stores it) was asked to be deleted."""
        if not isinstance(user_id, str) or not self.hashes:
            return False
        return any(user_hash(self.key, value) in self.hashes for value in {user_id, stored_id(user_id)})

    def mentions_any(self, raw_content) -> bool:
        """Whether a rejected row's raw content holds a suppressed id anywhere.

        A rejected row has no trusted user_id (it may be the broken field), so every value of
        the row (JSON of a CSV/Parquet row, or a JSONL line) and every token of the text is
        tried. A bad row of another user that happens to hold a deleted id as some other value
        is dropped too: losing a rejected row is better than keeping a deleted user.
        """
        if not self.hashes or not isinstance(raw_content, str):
            return False
        return any(user_hash(self.key, value) in self.hashes for value in _candidate_ids(raw_content))


def _candidate_ids(raw_content: str) -> set[str]:
    """Every token and value of the row, also as the loader would store it ("ｕ６" is u6)."""
    candidates = set(_TOKENS.findall(raw_content))
    try:
        row = json.loads(raw_content)
    except json.JSONDecodeError:
        row = None
    values = row.values() if isinstance(row, dict) else []
    for value in values:
        if value is not None and not isinstance(value, (dict, list)):
            candidates.add(value if isinstance(value, str) else json.dumps(value))
    return candidates | {stored_id(candidate) for candidate in candidates}


def privacy_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "privacy"


def load_suppression(data_dir: Path) -> Suppression | None:
    """The data folder's suppression list, or None when nobody has asked to be deleted yet."""
    folder = privacy_dir(data_dir)
    if not (folder / LIST_FILE).exists():
        return None
    with open(folder / LIST_FILE, newline="") as rows:
        hashes = frozenset(row["user_hash"] for row in csv.DictReader(rows))
    return Suppression(_read_key(folder), hashes)


def folder_key(data_dir: Path) -> str:
    """The data folder's key, created on first use."""
    folder = privacy_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return _read_key(folder) if (folder / KEY_FILE).exists() else _new_key(folder)


def suppress(data_dir: Path, user_ids: list[str]) -> Suppression:
    """Add users to the list (created with its key on first use); the file is replaced whole."""
    folder = privacy_dir(data_dir)
    key = folder_key(data_dir)
    current = load_suppression(data_dir)
    hashes = (current.hashes if current else frozenset()) | {user_hash(key, u) for u in user_ids}
    staged = folder / (LIST_FILE + ".tmp")
    with open(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="") as out:
        out.write("user_hash\n" + "".join(f"{h}\n" for h in sorted(hashes)))
    os.replace(staged, folder / LIST_FILE)
    return Suppression(key, hashes)


def _new_key(folder: Path) -> str:
    key = secrets.token_hex(32)
    # O_EXCL: never overwrite a key, which would orphan every hash made with it.
    with open(os.open(folder / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(key + "\n")
    return key


def _read_key(folder: Path) -> str:
    path = folder / KEY_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{folder / LIST_FILE} exists but its key {path} is missing: the list cannot be checked. "
            "Restore the key from the backup of the data folder."
        )
    return path.read_text().strip()
