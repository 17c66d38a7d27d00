"""Engine-neutral handoff between the Python steps and dbt (CHURN_ENGINE=duckdb | spark)."""
