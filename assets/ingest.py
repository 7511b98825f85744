"""Ingest: source files -> raw.* / ops.* / core.* in PostgreSQL."""

import dagster as dg
import pandas as pd

from assets.resources import Database

OWNERS = ["team:forecasting"]


@dg.asset(
    key=["raw", "polls"],
    group_name="ingest",
    kinds={"postgres", "pandas"},
    owners=OWNERS,
    retry_policy=dg.RetryPolicy(max_retries=1, delay=5),
)
def raw_polls(context: dg.AssetExecutionContext, database: Database) -> pd.DataFrame:
    """Loads every known poll and results file from the data directory into PostgreSQL.

    Files already loaded with the same content are skipped; each load is recorded in ops.load_runs and
    every rejected line in ops.rejected_rows with its reason. Returns one row per file.
    """
    from forecast_pipeline.config import Settings
    from forecast_pipeline.db.migrate import migrate
    from forecast_pipeline.ingest import load_files

    migrate(database.owner_engine())
    engine = database.engine()
    settings = Settings.from_env()
    reports = load_files(
        engine,
        settings.data_dir,
        progress=lambda r: context.log.info(
            f"{r.source}: {r.status}, read {r.rows_read}, loaded {r.rows_loaded}, rejected {r.rows_rejected}"
        ),
    )
    frame = pd.DataFrame([r.__dict__ for r in reports])
    context.add_output_metadata(
        {
            "dagster/row_count": int(frame["answer_rows"].sum()),
            "files": len(frame),
            "rows_read": int(frame["rows_read"].sum()),
            "rows_rejected": int(frame["rows_rejected"].sum()),
            "preview": dg.MetadataValue.md(frame.drop(columns=["seconds"]).to_markdown(index=False)),
        }
    )
    return frame


@dg.asset_check(
    asset=["raw", "polls"],
    blocking=True,
    description="rows read = rows loaded + rows rejected, per file; every file could be read",
)
def load_reconciles(polls: pd.DataFrame) -> dg.AssetCheckResult:
    bad = polls[polls["rows_read"] != polls["rows_loaded"] + polls["rows_rejected"]]
    failed = polls[polls["status"] == "failed"] if "status" in polls else polls.iloc[0:0]
    problems = []
    if len(bad):
        problems.append(f"{len(bad)} file(s) lost rows: {list(bad['source'])}")
    if len(failed):
        problems.append(
            "; ".join(
                f"{s} could not be read: {e}" for s, e in zip(failed["source"], failed["error"], strict=True)
            )
        )
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "files_checked": len(polls),
            "files_not_reconciling": len(bad),
            "files_failed": len(failed),
            "rows_read": int(polls["rows_read"].sum()),
            "rows_rejected": int(polls["rows_rejected"].sum()),
        },
        description="; ".join(problems) or None,
    )
