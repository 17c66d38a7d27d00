"""Other simulated worlds besides the shop, each with its own event names and ground truth.

    python -m demo.generate --world community|subscription [--users ...] [--days ...] ...

The shop (demo/simulate.py) speaks the pipeline's own event contract. These worlds log the way
other products do, under their own event-type names, so they exercise the mapping files
(mappings/examples/community_app.yml, subscription_service.yml) and the pipeline's handling of
custom event types, while their truth still says who churned when and why.

Each world module exposes generate(n_users, n_days, end_date, seed) -> demo.generate.DemoData.
Modules are imported on demand: they import demo.generate, which imports this package.
"""

from __future__ import annotations

import datetime as dt
import importlib

WORLDS = ("shop", "community", "subscription")


def generate(world: str, n_users: int, n_days: int, end_date: dt.date, seed: int):
    """The DemoData of a non-shop world (the shop stays in demo.generate.generate)."""
    if world not in WORLDS[1:]:
        raise ValueError(f"unknown world {world!r}; choose one of {', '.join(WORLDS)}")
    return importlib.import_module(f"demo.worlds.{world}").generate(n_users, n_days, end_date, seed)
