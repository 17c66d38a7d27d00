"""What a full build and one daily run cost as users grow: wall time and peak memory per stage.

    python benchmarks/bench_scale.py --users 100000 --days 90 [--out /tmp/scale] [--keep] [--reuse-landing]

1. Generates the demo shop for `--days` days into a fresh data folder, in user chunks
   (`demo.stream`, bounded memory), and holds its last day back.
2. Full build: `python -m pipeline.cli run` (what `make run` calls) over every day but the last.
3. Daily run: the last day's folder lands; `pipeline.cli run` again loads that one day.
4. Yardstick: one hand-written DuckDB query of similar features (90-day counts, recency,
   revenue per user at the last day) on the same raw.events, timed in the same process.

Per stage it prints the wall time (from the Dagster instance's step events) and the peak
resident memory of the whole process tree (the pipeline and its dbt subprocesses, sampled
every 0.2 s from /proc). The machine is shared and noisy: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb

REPO = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")

YARDSTICK = """
select user_id,
       count(*) filter (where event_time >= $day - interval 30 day) as events_30d,
       count(*) as events_90d,
       count(distinct cast(event_time as date)) as active_days_90d,
       count(*) filter (where event_type = 'order') as orders_90d,
       coalesce(sum(amount) filter (where event_type = 'order'), 0) as revenue_90d,
       count(*) filter (where event_type = 'cs_contact') as contacts_90d,
       avg(page_load_ms) as avg_page_load_ms,
       date_diff('day', max(event_time), $day) as days_since_last_event
from raw.events
where event_time >= $day - interval 90 day and event_time < $day
group by user_id
"""


class TreeMemory:
    """Samples the resident memory of a process and all its descendants until stopped."""

    def __init__(self, pid: int):
        self.pid, self.samples = pid, []  # (monotonic time, bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((b for t, b in self.samples if start <= t <= end), default=0)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), _tree_rss(self.pid)))
            time.sleep(0.2)


def _tree_rss(root: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(children.get(pid, []))
    return total


def run_pipeline(data: Path, label: str) -> None:
    """One `pipeline.cli run`, then its steps' wall time and peak memory."""
    env = {**os.environ, "CHURN_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home"),
           "MLFLOW_TRACKING_URI": f"sqlite:///{data / 'mlflow.db'}"}
    log = data / f"{label.replace(' ', '_')}.log"
    began, wall_began = time.monotonic(), time.time()
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run"], cwd=REPO, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
        memory = TreeMemory(process.pid)
        status = process.wait()
        memory.stop()
    seconds = time.monotonic() - began
    if status != 0:
        sys.exit(f"{label} failed (exit {status}); see {log}")
    print(f"\n{label}: {seconds:,.0f} s, peak memory {memory.peak() / 2**30:.2f} GB")
    # Step times from the run's own events; memory samples mapped onto them by the clock.
    offset = began - wall_began
    for step, start, end in _steps(data, wall_began):
        print(f"  {step:<50} {end - start:8.1f} s  {memory.peak(start + offset, end + offset) / 2**30:6.2f} GB")


def _steps(data: Path, since: float) -> list[tuple[str, float, float]]:
    instance = dg.DagsterInstance.from_config(str(data / "dagster_home"))
    try:
        run = instance.get_runs(limit=1)[0]
        starts, ends = {}, {}
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None or record.timestamp < since:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                starts[event.step_key] = record.timestamp
            elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                ends[event.step_key] = record.timestamp
        return sorted(((k, starts[k], ends[k]) for k in starts if k in ends), key=lambda s: s[1])
    finally:
        instance.dispose()


def yardstick(data: Path) -> None:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        day = con.execute("select max(event_time)::date + 1 from raw.events").fetchone()[0]
        began = time.monotonic()
        rows = con.execute(f"select count(*) from ({YARDSTICK})", {"day": day}).fetchone()[0]
    print(f"\nhand-written DuckDB feature query at {day}: {time.monotonic() - began:.1f} s for {rows:,} users")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="data folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--reuse-landing", action="store_true",
                        help="keep the landing files of an earlier run in --out (generating a million users "
                             "takes minutes); everything the pipeline wrote is removed")
    args = parser.parse_args()
    data = (args.out or Path(tempfile.mkdtemp(prefix="bench_scale_"))).resolve()
    held, generated = data / "held_back", data / "generated.json"
    shape = {"users": args.users, "days": args.days, "seed": args.seed}
    if args.reuse_landing and (data / "landing").is_dir():
        earlier = json.loads(generated.read_text()) if generated.exists() else None
        if earlier != shape:
            sys.exit(f"--reuse-landing: {data} holds landing files generated with {earlier or 'unknown arguments'}, "
                     f"not {shape}; leave out --reuse-landing to generate them again")
        for day in held.glob("date=*"):
            shutil.move(day, data / "landing" / "events" / day.name)
        for path in data.iterdir():
            if path.name not in ("landing", "demo_truth", generated.name):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        print(f"reusing the landing files in {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
        end = dt.date.today() - dt.timedelta(days=1)
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "demo.stream", "--users", str(args.users), "--days", str(args.days),
                        "--end-date", f"{end}", "--seed", str(args.seed), "--out", str(data)], cwd=REPO, check=True)
        files = list((data / "landing" / "events").rglob("*.csv"))
        events = sum(1 for f in files for _ in open(f)) - len(files)  # less one header per file
        print(f"generated {args.users:,} users, {events:,} event rows over {args.days} days "
              f"in {time.monotonic() - began:,.0f} s")
        generated.write_text(json.dumps(shape))
    last_day = sorted((data / "landing" / "events").glob("date=*"))[-1]
    held.mkdir()
    shutil.move(last_day, held / last_day.name)
    (data / "dagster_home").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "pipeline" / "dagster.yaml", data / "dagster_home" / "dagster.yaml")
    try:
        run_pipeline(data, "full build")
        shutil.move(held / last_day.name, last_day)
        run_pipeline(data, "daily run")
        yardstick(data)
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
