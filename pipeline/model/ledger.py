"""Tables the model assets keep one slice per as_of_date of (scores, customer values)."""

import pandas as pd


def replace_dates(con, ddl: str, table: str, frame: pd.DataFrame, select: str) -> None:
    """Write `frame` into `table` (created by `ddl` if absent), replacing the as_of_dates it
    holds in one transaction, so a re-run of a day never doubles rows and readers never see
    half a day. `select` lists the table's columns as expressions over the frame `new_rows`;
    pandas NaN arrives as null."""
    con.execute(ddl)
    con.register("new_rows", frame)
    con.execute("begin transaction")
    con.execute(f"delete from {table} where as_of_date in (select distinct as_of_date from new_rows)")
    con.execute(f"insert into {table} select {select} from new_rows")
    con.execute("commit")
    con.unregister("new_rows")
