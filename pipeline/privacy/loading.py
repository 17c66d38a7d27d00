"""Keep suppressed users out of a load: what the raw loaders call before writing."""

import dataclasses

import duckdb
import pandas as pd

from pipeline.privacy.suppression import Suppression
from pipeline.raw.load import PreparedDay


def drop_suppressed_events(prepared: PreparedDay, suppression: Suppression | None) -> PreparedDay:
    """A landing day's rows without those of deleted users (their rejected rows too, found by
    content, and their conflicting repeats), counted as rows_suppressed so that rows read =
    loaded + rejected + duplicates + suppressed. They are counted apart rather than as rejected
    rows: keeping a rejected row would keep the id in raw_content, and they are not bad data
    nor part of the rejected share the loader's check watches."""
    if suppression is None or not suppression.hashes:
        return prepared
    good, bad, conflicts, stats = prepared
    ids = pd.concat([good["user_id"], conflicts["user_id"]]).dropna().unique()
    deleted = [u for u in ids if u in suppression]  # one hash per distinct id
    good_kept = good[~good["user_id"].isin(deleted)]
    bad_kept = bad[~bad["raw_content"].map(suppression.mentions_any).astype(bool)]
    conflicts_kept = conflicts[~conflicts["user_id"].isin(deleted)]
    repeats = len(conflicts) - len(conflicts_kept)  # were counted as duplicates: now suppressed
    dropped = (len(good) - len(good_kept)) + (len(bad) - len(bad_kept)) + repeats
    stats = dataclasses.replace(stats, rows_loaded=len(good_kept), rows_rejected=len(bad_kept),
                                duplicates_dropped=stats.duplicates_dropped - repeats,
                                conflicts=stats.conflicts - repeats, rows_suppressed=stats.rows_suppressed + dropped)
    return PreparedDay(good_kept, bad_kept, conflicts_kept, stats)


def drop_suppressed_rows(con: duckdb.DuckDBPyConnection, table: str, suppression: Suppression | None) -> int:
    """Delete a staging table's rows whose user_id (as read, or trimmed) is suppressed; how many."""
    if suppression is None or not suppression.hashes:
        return 0
    con.register("suppressed_hashes", pd.DataFrame({"user_hash": sorted(suppression.hashes)}))
    try:
        # The same hash as suppression.user_hash, computed by DuckDB.
        return con.execute(
            f"""delete from {table}
                where sha256($key || chr(31) || user_id) in (select user_hash from suppressed_hashes)
                   or sha256($key || chr(31) || trim(user_id)) in (select user_hash from suppressed_hashes)""",
            {"key": suppression.key},
        ).fetchone()[0]
    finally:
        con.unregister("suppressed_hashes")
