"""The daily partitions start on the first landing day unless CHURN_FIRST_DAY says otherwise."""

from pipeline.settings import FALLBACK_FIRST_DAY, load_settings


def test_partitions_start_on_the_first_landing_day(tmp_path, monkeypatch):
    monkeypatch.setenv("CHURN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CHURN_FIRST_DAY", raising=False)
    assert load_settings().first_day == FALLBACK_FIRST_DAY  # nothing landed yet
    for day in ("2026-06-02", "2026-05-22", "2026-05-23"):
        (tmp_path / "landing" / "events" / f"date={day}").mkdir(parents=True)
    assert load_settings().first_day == "2026-05-22"
    monkeypatch.setenv("CHURN_FIRST_DAY", "2026-01-01")
    assert load_settings().first_day == "2026-01-01"
