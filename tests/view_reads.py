"""A DuckDB connection, and its cursors, that notes something at every read of the training-set view."""

from pipeline.model import training_set


class ViewReads:
    """Runs `note(connection)` before each read of the view through it and keeps what it returns
    in `notes` (a plan, a setting)."""

    def __init__(self, con, note, notes: list):
        self.con, self.note, self.notes = con, note, notes

    def execute(self, sql, params=()):
        if sql.startswith(f"select * from {training_set.VIEW}"):
            self.notes.append(self.note(self.con))
        return self.con.execute(sql, params)

    def cursor(self):
        return ViewReads(self.con.cursor(), self.note, self.notes)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.con.close()
