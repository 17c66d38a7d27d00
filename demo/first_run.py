"""The demo's first `make run`: a history that already holds decisions whose windows have closed.

python -m demo.first_run [--world shop] [--out data] [--users 5000] [--days 180]
                         [--end-date YYYY-MM-DD] [--seed 42] [--reps 30]

Loaded in one go, a history leaves the pipeline's ledgers empty: score_backtest needs scores
whose churn horizon has closed, action_outcomes, uplift_report and ab_test_report need
decisions whose outcome window has closed. So the shop's first run lives its history the way
the pipeline would have: up to a decision day D, then on from D with the pipeline's decisions
sent, D being the end minus the longest window (churn_horizon_days, outcome_window_days):

1. history: the shop simulated up to D (the users still sign up over the whole history);
2. decide: the pipeline on it (python -m pipeline.cli run) trains, scores and decides at D;
3. continue: demo.campaign sends D's action_assignments and simulates D+1 .. end;

then `make run` runs the pipeline over the new days. The landing history ends on the same day
and is as long as demo.generate's. Every step is done once: the state is kept in
OUT/demo_first_run.json, so a first run killed halfway resumes where it stopped and later runs
do nothing here. The other worlds cannot be continued: their history is written at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from demo import worlds

# Only the standard library up here (and demo.worlds, which imports no more): a finished first run is told so in a blink on every `make
# run`; the simulator, DuckDB and the pipeline's settings (Dagster) are imported when needed.
if TYPE_CHECKING:
    from pipeline.settings import Settings

STATE_FILE = "demo_first_run.json"
BAD_ROW_RATE = 0.001  # the shop's usual dirt, in the history and in the continuation
STEPS = ("history", "decide", "continue", "done")


@dataclass(frozen=True)
class Windows:
    """The pipeline's windows that must close before D's scores and decisions are judged."""

    churn_horizon_days: int  # score_backtest: a score's label is known this many days on
    outcome_window_days: int  # action_outcomes: a decision's outcome is known this many days on

    @property
    def after_decision(self) -> int:
        return max(self.churn_horizon_days, self.outcome_window_days)


def windows(settings: Settings) -> Windows:
    """The windows the pipeline will use: dbt_project.yml's vars under the mapping's and the
    configured overrides (Settings.dbt_vars_with), as every dbt run gets them."""
    import yaml

    from pipeline.settings import DBT_PROJECT_DIR

    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    effective = {**defaults, **json.loads(settings.dbt_vars_with())}
    return Windows(int(effective["churn_horizon_days"]), int(effective["outcome_window_days"]))


def play(out: Path, run_pipeline: Callable[[], None], win: Windows, *, users: int, days: int,
         end_date: dt.date, seed: int, reps: int = 30) -> None:
    """Bring `out` to the end of the demo's first run from wherever it stopped. run_pipeline
    runs the pipeline over the landing days it has not loaded, and raises if that fails."""
    from demo import campaign
    from demo import generate as history
    from demo.simulate import World

    out = Path(out)
    if (present := already_there(out)) is not None:
        print(present)
        return
    state = _read_state(out)
    if state is None:
        if win.after_decision >= days:
            raise ValueError(f"--days {days} leaves no history before the decision day: the pipeline's "
                             f"windows need {win.after_decision} days after it")
        decided = end_date - dt.timedelta(days=win.after_decision)
        state = {"step": "history", "users": users, "days": days, "seed": seed,
                 "decision_date": str(decided), "end_date": str(end_date)}
        _save_state(out, state)
    decided, end = (dt.date.fromisoformat(state[k]) for k in ("decision_date", "end_date"))
    if state["step"] == "history":
        # Same arguments as when the state was first written: a resumed run redoes the same history.
        before = (end - decided).days
        print(f"Demo history: {state['days'] - before} of {state['days']} days, up to the decision day {decided}")
        demo = history.generate(state["users"], state["days"], end, state["seed"], simulate_days=state["days"] - before)
        history.write(demo, out, BAD_ROW_RATE, state["seed"])
        _advance(out, state, "decide")
    if state["step"] == "decide":
        print(f"The pipeline on the history up to {decided}: it trains, scores and decides that day")
        run_pipeline()
        _advance(out, state, "continue")
    if state["step"] == "continue":
        world = World.load(out / history.WORLD_FILE)
        # The world file is written last: if it already reaches the end, so does everything else.
        if campaign.decision_date(world).date() < end:
            plan = campaign.load_plan(out, world)
            treated = int((plan["arm"] == "treatment").sum()) if len(plan) else 0
            print(f"The demo world goes on to {end}, {treated} actions of {decided} sent ({len(plan) - treated} "
                  f"users held out as control)")
            result = campaign.continue_world(world, (end - decided).days, plan, reps, state["seed"],
                                             horizon=win.outcome_window_days)
            campaign.write(result, world, out, BAD_ROW_RATE, state["seed"])
        _advance(out, state, "done")


def already_there(out: Path) -> str | None:
    """What to say when there is nothing to do: the first run is done, or the data came otherwise."""
    state = _read_state(out)
    if state is None and (out / "landing" / "events").exists():
        return f"Demo data present in {out / 'landing'} (delete it to regenerate)"
    if state is not None and state["step"] == "done":
        return (f"Demo data present in {out / 'landing'}: the first run decided on {state['decision_date']} and "
                f"went on to {state['end_date']} (delete {out} to start over)")
    return None


def _read_state(out: Path) -> dict | None:
    path = out / STATE_FILE
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    if state.get("step") not in STEPS:
        raise ValueError(f"{path}: step {state.get('step')!r} is none of {STEPS}; delete {out} to start over")
    return state


def _advance(out: Path, state: dict, step: str) -> None:
    state["step"] = step
    _save_state(out, state)


def _save_state(out: Path, state: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=1) + "\n")
    tmp.replace(out / STATE_FILE)  # never a half-written state


def pipeline_cli(out: Path) -> Callable[[], None]:
    """`python -m pipeline.cli run` on `out`, as `make run` calls it."""

    def run() -> None:
        env = {**os.environ, "CHURN_DATA_DIR": str(Path(out).resolve())}
        status = subprocess.run([sys.executable, "-m", "pipeline.cli", "run"], env=env).returncode
        if status != 0:
            raise SystemExit(status)  # pipeline.cli has said why; the next `make run` resumes here

    return run


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m demo.first_run", description=__doc__.split("\n")[0])
    p.add_argument("--world", choices=worlds.WORLDS, default="shop")
    p.add_argument("--out", type=Path, default=Path("data"))
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--end-date", type=dt.date.fromisoformat,
                   help="last day of the history, UTC (default: two weeks before yesterday)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--reps", type=int, default=30, help="Monte-Carlo runs per arm of the true effects")
    a = p.parse_args(argv)
    if (present := already_there(a.out)) is not None:
        print(present)
        return
    from demo import generate as history
    from pipeline.settings import load_settings

    end_date = a.end_date or history.default_end_date()
    if a.world != "shop":
        history.main(["--world", a.world, "--users", str(a.users), "--days", str(a.days),
                      "--end-date", str(end_date), "--seed", str(a.seed), "--out", str(a.out)])
        return
    play(a.out, pipeline_cli(a.out), windows(load_settings()), users=a.users, days=a.days,
         end_date=end_date, seed=a.seed, reps=a.reps)


if __name__ == "__main__":
    main()
