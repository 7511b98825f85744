"""Asset checks built from the pandera table schemas by one factory, plus the cross-source conflict report.

Every check hangs off ``raw/polls`` (the asset that writes raw.* and rebuilds core.*). Blocking checks
stop ``core/validated_polls`` and everything after it from running on data that breaks a schema.
"""

import dagster as dg

from assets.resources import Database
from forecast_pipeline.schemas.tables import TABLE_SPECS, TableSpec

RAW_POLLS = dg.AssetKey(["raw", "polls"])


def schema_check(spec: TableSpec) -> dg.AssetChecksDefinition:
    """The asset check for one table: validate it with its pandera schema; fail (ERROR) with the failing
    checks, their row counts and an example each in the metadata."""

    @dg.asset_check(
        asset=RAW_POLLS, name=spec.check_name, blocking=spec.blocking, description=spec.description
    )
    def _check(database: Database) -> dg.AssetCheckResult:
        from forecast_pipeline.schemas.tables import validate_table

        result = validate_table(database.engine(), spec)
        summary = result.summary()
        metadata = {"table": spec.table, "rows": result.rows, "failing_checks": len(summary)}
        if not result.passed:
            metadata["failures"] = dg.MetadataValue.md(summary.to_markdown(index=False))
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            description=None
            if result.passed
            else f"{spec.table}: "
            + "; ".join(f"{r.check} ({r.failing_rows} rows)" for r in summary.itertuples()),
            metadata=metadata,
        )

    return _check


TABLE_CHECKS = [schema_check(spec) for spec in TABLE_SPECS]


@dg.asset_check(
    asset=RAW_POLLS,
    blocking=False,
    description="polls carried by two sources are stored once; fields on which the sources "
    "disagree are reported (ops.poll_source_conflicts)",
)
def cross_source_conflicts(database: Database) -> dg.AssetCheckResult:
    from forecast_pipeline.ingest import source_conflicts

    summary, sample, n_polls = source_conflicts(database.engine())
    return dg.AssetCheckResult(
        passed=True,  # a report: disagreement between sources is information, not a broken load
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{int(summary['conflicts'].sum()) if len(summary) else 0} field conflicts "
        f"across {n_polls} polls carried by more than one source",
        metadata={
            "polls_in_several_sources": n_polls,
            "conflicts_by_field": dg.MetadataValue.md(
                summary.to_markdown(index=False) if len(summary) else "none"
            ),
            "sample": dg.MetadataValue.md(sample.to_markdown(index=False) if len(sample) else "none"),
        },
    )


CHECKS = [*TABLE_CHECKS, cross_source_conflicts]
