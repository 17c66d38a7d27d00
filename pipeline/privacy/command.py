"""`python -m pipeline.cli delete-users`: apply the pending deletion requests now."""

import sys

import duckdb

from pipeline.privacy.apply import apply_pending_requests
from pipeline.settings import Settings


def delete_users(settings: Settings, requested_by: str | None) -> int:
    """One line per request applied; status 1 when a request file was refused."""
    outcome = apply_pending_requests(lambda: duckdb.connect(str(settings.warehouse)), settings, requested_by)
    for request in outcome.applied:
        print(f"Deleted {request}")
    for error in outcome.refused:
        print(f"Refused, nothing of it applied: {error}", file=sys.stderr)
    if not outcome.applied and not outcome.refused:
        print(f"No pending deletion request in {settings.landing_deletions} (applied ones are in privacy.deletion_audit).")
    return 1 if outcome.refused else 0
