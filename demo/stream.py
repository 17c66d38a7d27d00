"""The demo shop at any size in bounded memory: users simulated in independent chunks.

python -m demo.stream --users 1000000 [--days 90] [--chunk-users 20000] [--end-date YYYY-MM-DD]
                      [--seed 42] [--bad-row-rate 0.001] [--out data]

The shop's users do not interact, so N users are the union of chunks of `chunk_users`, each
simulated by demo.generate with its own seed stream ([seed, chunk]) and written as its own
file per landing day (events-<chunk>.csv) before the next chunk starts: memory is one
chunk's, whatever N. Ids get a chunk prefix (user "u000001" of chunk 3 is "c0003-u000001";
events, sessions and orders likewise) so chunks never collide. The same seed and chunk size
give the same files and the distributions are demo.generate's, but a chunked demo is not the
same draw as a one-piece one, and no world.pkl is saved (demo.campaign continues one-piece
demos only).

Measured: 100,000 users x 30 days in chunks of 25,000 peaked at 0.9 GB (6.2 M rows, 96 k rows/s
on a busy 2-core machine); memory grows with chunk_users x days, not with users.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from demo import landing
from demo.generate import ROOM_FOR_CAMPAIGN_DAYS, generate

ID_COLUMNS = ("event_id", "user_id", "session_id", "order_id")


def write_in_chunks(n_users: int, n_days: int, end_date: dt.date, seed: int, out_dir: Path,
                    chunk_users: int = 20_000, bad_row_rate: float = 0.001) -> int:
    """Simulate and write chunk after chunk; returns the number of event rows written."""
    out_dir = Path(out_dir)
    landing.clear(out_dir)
    rows, users, truth = 0, [], []
    for chunk, first in enumerate(range(0, n_users, chunk_users)):
        demo = generate(min(chunk_users, n_users - first), n_days, end_date, seed=[seed, chunk])
        prefix = f"c{chunk:04d}-"
        for column in ID_COLUMNS:
            demo.events[column] = _prefixed(demo.events[column], prefix)
        rng = np.random.default_rng([seed, chunk, 1])
        rows += landing.write_events(demo.events, out_dir, bad_row_rate, rng, file_name=f"events-{chunk:04d}.csv")
        users.append(demo.users.assign(user_id=prefix + demo.users["user_id"]))
        truth.append(demo.truth.assign(user_id=prefix + demo.truth["user_id"]))
        del demo  # the chunk's frames go before the next chunk is simulated
    landing.write_table(pd.concat(users), out_dir / "landing/users/users.csv", "%Y-%m-%d %H:%M:%S")
    landing.write_table(pd.concat(truth), out_dir / "demo_truth/ground_truth.csv", "%Y-%m-%d")
    return rows


def _prefixed(ids: pd.Series, prefix: str) -> pd.Series:
    return ids.where(ids.isna(), prefix + ids.astype("string"))


def main(argv: list[str] | None = None) -> None:
    default_end = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1 + ROOM_FOR_CAMPAIGN_DAYS)
    p = argparse.ArgumentParser(prog="python -m demo.stream", description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--chunk-users", type=int, default=20_000)
    p.add_argument("--end-date", type=dt.date.fromisoformat, default=default_end)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--bad-row-rate", type=float, default=0.001)
    p.add_argument("--out", type=Path, default=Path("data"))
    a = p.parse_args(argv)
    began = time.perf_counter()
    rows = write_in_chunks(a.users, a.days, a.end_date, a.seed, a.out, a.chunk_users, a.bad_row_rate)
    secs = time.perf_counter() - began
    print(f"users={a.users} event_rows={rows} days={a.days} chunks of {a.chunk_users} "
          f"seconds={secs:.1f} rows/s={rows / secs:,.0f}")


if __name__ == "__main__":
    main()
