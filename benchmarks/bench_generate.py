"""How fast the demo generator is: generation in memory, then writing landing files.

    python benchmarks/bench_generate.py [--users 50000] [--days 90] [--seed 42]

Target: >= 500,000 events/s for generation (the demo must not dominate a pipeline run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from demo.generate import generate, write


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=50_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    began = time.perf_counter()
    demo = generate(a.users, a.days, dt.date(2025, 6, 30), a.seed)
    gen_s = time.perf_counter() - began
    n = len(demo.events)
    _report("generate", n, gen_s)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        rows = write(demo, Path(tmp), bad_row_rate=0.001, seed=a.seed)
        _report("write", rows, time.perf_counter() - began)
    churned = demo.truth["churn_date"].notna().mean()
    print(f"users={a.users} days={a.days} churned={churned:.1%}")


def _report(step: str, events: int, seconds: float) -> None:
    print(f"{step:>8}: events={events:,} seconds={seconds:.2f} events/s={events / seconds:,.0f}")


if __name__ == "__main__":
    main()
