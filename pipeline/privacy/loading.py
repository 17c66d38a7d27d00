"""Keep suppressed users out of a load: what the raw loaders call before writing."""

import dataclasses

import duckdb
import pandas as pd

from pipeline.privacy.suppression import Suppression
from pipeline.raw.load import DayLoad


def drop_suppressed_events(good: pd.DataFrame, bad: pd.DataFrame, stats: DayLoad,
                           suppression: Suppression | None) -> tuple[pd.DataFrame, pd.DataFrame, DayLoad]:
    """A landing day's rows without those of deleted users (their rejected rows too, found by
    content), counted as rows_suppressed so that rows read = loaded + rejected + duplicates +
    suppressed. They are counted apart rather than as rejected rows: keeping a rejected row
    would keep the id in raw_content, and they are not bad data nor part of the rejected share
    the loader's check watches."""
    if suppression is None or not suppression.hashes:
        return good, bad, stats
    deleted = [u for u in good["user_id"].dropna().unique() if u in suppression]  # one hash per distinct id
    good_kept = good[~good["user_id"].isin(deleted)]
    bad_kept = bad[~bad["raw_content"].map(suppression.mentions_any).astype(bool)]
    dropped = (len(good) - len(good_kept)) + (len(bad) - len(bad_kept))
    stats = dataclasses.replace(stats, rows_loaded=len(good_kept), rows_rejected=len(bad_kept),
                                rows_suppressed=stats.rows_suppressed + dropped)
    return good_kept, bad_kept, stats


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
