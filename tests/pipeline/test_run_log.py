"""`make run` prints a line per step; the Dagster log, stdout and warnings go to the run's log file."""

import io
import sys

import dagster as dg

from pipeline.run_log import details_to, new_log_path, run_loggers


@dg.asset
def loaded(context: dg.AssetExecutionContext) -> int:
    context.log.info("day 2026-05-22: 10 rows loaded")
    print("what dbt writes to stdout")
    print("a library's warning", file=sys.stderr)  # where Python warnings go
    return 1


@dg.asset(check_specs=[dg.AssetCheckSpec("not_empty", asset="scored")])
def scored(loaded: int):
    yield dg.Output(loaded)
    yield dg.AssetCheckResult(check_name="not_empty", passed=False)


def test_the_terminal_gets_a_line_per_step_and_the_log_file_the_details(tmp_path):
    job = dg.Definitions(assets=[loaded, scored], jobs=[dg.define_asset_job("demo_job")]).resolve_job_def("demo_job")
    log_path = new_log_path(tmp_path)
    terminal = io.StringIO()
    with details_to(log_path) as real_stdout:
        assert sys.stdout is not real_stdout  # inside, stdout is the log file
        loggers, config = run_loggers(terminal)
        with dg.instance_for_test() as instance:
            result = job.with_logger_defs(loggers).execute_in_process(instance=instance, run_config=config)
    assert result.success

    lines = terminal.getvalue().splitlines()
    assert [line.split()[0] for line in lines if "done in" in line] == ["loaded", "scored"]
    assert any("check not_empty on scored failed" in line for line in lines)
    assert len(lines) == 3

    details = log_path.read_text()
    assert log_path.parent == tmp_path / "logs"
    for text in ("day 2026-05-22: 10 rows loaded", "what dbt writes to stdout", "a library's warning"):
        assert text in details and text not in terminal.getvalue()


@dg.asset
def broken():
    raise ValueError("landing file day=2026-05-22/a.csv has no user_id column")


def test_a_failed_step_says_why_on_the_terminal(tmp_path):
    job = dg.Definitions(assets=[broken], jobs=[dg.define_asset_job("broken_job")]).resolve_job_def("broken_job")
    terminal = io.StringIO()
    with details_to(new_log_path(tmp_path)):
        loggers, config = run_loggers(terminal)
        with dg.instance_for_test() as instance:
            result = job.with_logger_defs(loggers).execute_in_process(instance=instance, run_config=config,
                                                                      raise_on_error=False)
    assert not result.success
    assert "broken" in terminal.getvalue() and "FAILED: ValueError: landing file day=2026-05-22/a.csv has no user_id column" in terminal.getvalue()
