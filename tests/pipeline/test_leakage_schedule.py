"""When the leakage check rebuilds the features, and when it relies on its last rebuild."""

import datetime as dt

from pipeline.model.leakage import LeakageCheckConfig, rebuild_reason

TODAY = dt.date(2026, 5, 4)
LAST = {"rebuilt": True, "feature_definition": "abc", "rebuilt_on": "2026-05-01", "as_of_date": "2026-03-02"}


def test_an_unchanged_definition_rebuilt_lately_is_relied_on():
    assert rebuild_reason(LAST, "abc", TODAY, LeakageCheckConfig()) is None
    # A skip carries the rebuild it relies on forward: it is relied on the same way.
    skipped = {**LAST, "rebuilt": False}
    assert rebuild_reason(skipped, "abc", TODAY, LeakageCheckConfig()) is None


def test_a_changed_definition_rebuilds():
    assert rebuild_reason(LAST, "xyz", TODAY, LeakageCheckConfig()) == "the feature definition changed"


def test_no_passing_rebuild_on_record_rebuilds():
    assert rebuild_reason(None, "abc", TODAY, LeakageCheckConfig()) == "no passing rebuild on record"
    # Metadata of a check from before the schedule existed has no rebuilt_on.
    assert rebuild_reason({"as_of_date": "2026-03-02"}, "abc", TODAY, LeakageCheckConfig()) == "no passing rebuild on record"


def test_an_old_rebuild_and_a_request_rebuild():
    assert "is 7 day(s) from" in rebuild_reason(LAST, "abc", dt.date(2026, 5, 8), LeakageCheckConfig())
    assert rebuild_reason(LAST, "abc", dt.date(2026, 5, 7), LeakageCheckConfig()) is None
    # A rebuild dated after the latest date (a backfill of older days) does not count.
    assert rebuild_reason(LAST, "abc", dt.date(2026, 4, 30), LeakageCheckConfig()) is not None
    assert rebuild_reason(LAST, "abc", TODAY, LeakageCheckConfig(every_days=0)) is not None
    assert rebuild_reason(LAST, "abc", TODAY, LeakageCheckConfig(force=True)) == "requested"
