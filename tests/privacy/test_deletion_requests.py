"""Deletion requests on tiny hand-made folders: request files, the suppression list, the loaders'
filters and the command. The whole-pipeline case is in tests/integration/test_daily_pipeline.py."""

import json
import os
import sys

import duckdb
import pandas as pd
import pytest

from pipeline.privacy.loading import drop_suppressed_events, drop_suppressed_rows
from pipeline.privacy.requests import DeletionRequestError, read_request
from pipeline.privacy.suppression import Suppression, load_suppression, suppress, user_hash
from pipeline.raw.load import DayLoad, PreparedDay
from pipeline.raw.subscriptions import load_subscriptions


def test_a_request_file_gives_its_distinct_ids_and_a_bad_row_names_the_file_and_line(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("\ufeffuser_id\nu1\n\n u2 \nu1\nｕ１\n", encoding="utf-8")
    assert read_request(good, "k").user_ids == ("u1", "u2")  # as the loader stores them: "ｕ１" is u1
    cases = {"user_id,reason\nu1,asked\n": "line 1", "user_id\nu1\n\n  \n": "line 4", "user_id\nu1,u2\n": "line 2",
             "user_id\n": "holds no user_id", "id\nu1\n": "line 1"}
    for content, where in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(content)
        with pytest.raises(DeletionRequestError, match=where) as err:
            read_request(bad, "k")
        assert str(bad) in str(err.value) and "u1" not in str(err.value).replace(str(bad), "")  # no id in logs


def test_the_list_holds_keyed_hashes_only_and_grows(tmp_path):
    suppress(tmp_path, ["u1"])
    suppression = suppress(tmp_path, ["u2", "u1"])
    assert "u1" in suppression and " u2 " in suppression and "u3" not in suppression
    assert load_suppression(tmp_path) == suppression
    listed = (tmp_path / "privacy" / "suppressed_users.csv").read_text()
    assert len(listed.splitlines()) == 3 and "u1" not in listed and "u2" not in listed
    assert (tmp_path / "privacy" / "suppression.key").stat().st_mode & 0o077 == 0
    other_folder = suppress(tmp_path / "other", ["u1"])
    assert other_folder.hashes.isdisjoint(suppression.hashes)  # a key per data folder


def test_a_rejected_row_is_found_by_any_value_or_token_but_not_by_a_longer_id(tmp_path):
    suppression = suppress(tmp_path, ["u1"])
    assert suppression.mentions_any(json.dumps({"user_id": " u1", "event_time": "yesterday"}))
    assert suppression.mentions_any('{"user_id": u1, broken json')
    assert not suppression.mentions_any(json.dumps({"user_id": "u12", "text": "hello u10"}))
    # As the loader would store it: full-width "ｕ１" is user u1, in JSON and in broken text.
    assert suppression.mentions_any(json.dumps({"user_id": "ｕ１"}, ensure_ascii=False))
    assert suppression.mentions_any('ｕ１,yesterday,order')
    assert not suppression.mentions_any(None)


def test_the_event_load_leaves_suppressed_users_out_and_counts_them(tmp_path):
    suppression = suppress(tmp_path, ["u1"])
    good = pd.DataFrame({"user_id": ["u1", "u2", "u1"], "event_type": ["order"] * 3})
    bad = pd.DataFrame({"raw_content": [json.dumps({"user_id": "u1"}), json.dumps({"user_id": "u3"})], "reason": ["x", "y"]})
    conflicts = pd.DataFrame({"user_id": ["u1", "u2"], "raw_content": ["{}", "{}"]})  # repeats whose content differs
    stats = DayLoad("2026-01-01", 1, rows_read=8, rows_loaded=3, rows_rejected=2, duplicates_dropped=3, conflicts=2)
    good, bad, conflicts, stats = drop_suppressed_events(PreparedDay(good, bad, conflicts, stats), suppression)
    assert list(good["user_id"]) == ["u2"] and list(bad["reason"]) == ["y"] and list(conflicts["user_id"]) == ["u2"]
    assert stats.rows_suppressed == 4 and stats.conflicts == 1
    assert stats.rows_read == stats.rows_loaded + stats.rows_rejected + stats.duplicates_dropped + stats.rows_suppressed


def test_duckdb_computes_the_same_hash_so_subscriptions_are_filtered_in_sql(tmp_path):
    suppression = suppress(tmp_path, ["u1"])
    folder = tmp_path / "subscriptions"
    folder.mkdir()
    (folder / "spells.csv").write_text("user_id,start\n u1 ,2026-01-01\nu2,2026-01-02\nu1,not a date\nｕ１,2026-01-03\n",
                                       encoding="utf-8")
    with duckdb.connect() as con:
        load = load_subscriptions(con, folder, suppression)
        assert con.execute("select user_id from raw.subscriptions").fetchall() == [("u2",)]
        assert con.execute("select count(*) from raw.subscriptions_rejected").fetchone()[0] == 0
        assert (load.rows_read, load.rows_loaded, load.rows_suppressed) == (4, 1, 3)
        # A list written before requests were normalized holds "ｕ１" as given: still left out.
        legacy = Suppression(suppression.key, frozenset({user_hash(suppression.key, "ｕ１")}))
        assert load_subscriptions(con, folder, legacy).rows_suppressed == 1
        con.execute("create table t as select 'u1' as user_id union all select 'u2'")
        assert drop_suppressed_rows(con, "t", suppression) == 1


def test_the_command_applies_a_request_once_audits_it_and_refuses_a_bad_file(tmp_path, monkeypatch, capsys):
    from pipeline import cli

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("create schema ml; create table ml.scores as select * from (values ('u1', 0.5), ('u2', 0.7)) t(user_id, p)")
    (tmp_path / "serving").mkdir()
    with duckdb.connect(str(tmp_path / "serving.duckdb")) as con:
        con.execute("create table user_segments as select * from (values ('u1', 'a'), ('u2', 'b')) t(user_id, segment)")
        con.execute(f"copy user_segments to '{tmp_path / 'serving' / 'user_segments.parquet'}' (format parquet)")
    requests = tmp_path / "landing" / "deletions"
    requests.mkdir(parents=True)
    (requests / "ticket-1.csv").write_text("user_id\nu1\n")
    monkeypatch.setenv("CHURN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["pipeline.cli", "delete-users", "--requested-by", "privacy desk"])
    assert cli.main() == 0
    assert cli.main() == 0  # already applied: nothing happens
    (requests / "ticket-2.csv").write_text("user_id\nu2\n,\n")
    assert cli.main() == 1
    assert "ticket-2.csv, line 3" in capsys.readouterr().err
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select user_id from ml.scores").fetchall() == [("u2",)]  # ticket-2 refused whole
        audit = con.execute("select requested_by, request_file, users_requested, rows_deleted from privacy.deletion_audit").fetchall()
    assert audit == [("privacy desk", os.path.join("landing", "deletions", "ticket-1.csv"), 1, json.dumps(
        {"parquet:user_segments.parquet": 1, "serving:main.user_segments": 1, "warehouse:ml.scores": 1}))]
    assert pd.read_parquet(tmp_path / "serving" / "user_segments.parquet")["user_id"].tolist() == ["u2"]
