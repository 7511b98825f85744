"""Voter files: generate and load the synthetic file, aggregate it in SQL, fit and store the MRP.

Every table lives in PostgreSQL, so the assets return MaterializeResult (no IO manager) and record
row counts, timings and the MRP validation scores as metadata.
"""

import dagster as dg
from pydantic import Field

from assets.resources import Database

OWNERS = ["team:forecasting"]
GROUP = "voterfile"


class VoterFileSettings(dg.ConfigurableResource):
    """Which snapshots to build and how; the MRP sampler settings."""

    cycles: list[int] = Field(
        default=[2004, 2012], description="snapshot cycles (2004/2012 have surveys to validate on)"
    )
    fraction: float = Field(default=0.01, description="share of the census population drawn (0.01 = 1% file)")
    seed: int = 20261127
    states: list[str] | None = Field(default=None, description="state codes; None = all 50 + DC")
    sampler: str = Field(default="nutpie", description="'nutpie' or 'pymc'")
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    sample_size: int | None = Field(
        default=None, description="fit the MRP on a random subsample of respondents"
    )


def _engine(database: Database):
    from forecast_pipeline.db.migrate import migrate

    migrate(database.owner_engine())  # DDL as the URL's own user; the work under the runtime role
    return database.engine()


@dg.asset(key=["voterfile", "voters"], group_name=GROUP, kinds={"postgres"}, owners=OWNERS)
def voters(
    context: dg.AssetExecutionContext, database: Database, voterfile: VoterFileSettings
) -> dg.MaterializeResult:
    """voterfile.voters + voterfile.vote_history (NC layout), generated from the census cells and
    streamed in with COPY, one transaction per state."""
    from forecast_pipeline.config import Settings
    from forecast_pipeline.voterfile.generator import generate_to_db

    engine = _engine(database)
    data_dir = Settings.from_env().data_dir
    meta = {}
    for cycle in voterfile.cycles:
        res = generate_to_db(
            engine,
            data_dir,
            cycle,
            voterfile.fraction,
            voterfile.seed,
            voterfile.states,
            log=context.log.debug,
        )
        meta[f"voters_{cycle}"] = sum(r.voters for r in res)
        meta[f"people_{cycle}"] = sum(r.people for r in res)
        meta[f"history_rows_{cycle}"] = sum(r.history_rows for r in res)
        context.log.info(f"{cycle}: {meta[f'voters_{cycle}']} voters in {len(res)} states")
    return dg.MaterializeResult(
        metadata={
            **meta,
            "fraction": voterfile.fraction,
            "seed": voterfile.seed,
            "dagster/row_count": sum(v for k, v in meta.items() if k.startswith("voters_")),
        }
    )


def _aggregate(context, database: Database, voterfile: VoterFileSettings, table: str) -> dg.MaterializeResult:
    from forecast_pipeline.voterfile.aggregate import aggregate

    engine = _engine(database)
    meta = {}
    for cycle in voterfile.cycles:
        (res,) = aggregate(engine, cycle, (table,))
        meta[f"rows_{cycle}"] = res.rows
        meta[f"seconds_{cycle}"] = round(res.seconds, 3)
    return dg.MaterializeResult(
        metadata={**meta, "dagster/row_count": sum(v for k, v in meta.items() if k.startswith("rows_"))}
    )


@dg.asset(
    key=["voterfile", "composition_state"],
    deps=[dg.AssetKey(["voterfile", "voters"])],
    group_name=GROUP,
    kinds={"postgres", "sql"},
    owners=OWNERS,
)
def composition_state(
    context: dg.AssetExecutionContext, database: Database, voterfile: VoterFileSettings
) -> dg.MaterializeResult:
    """Electorate by state x race x education x age x sex, weighted by modelled turnout (SQL)."""
    return _aggregate(context, database, voterfile, "composition_state")


@dg.asset(
    key=["voterfile", "composition_county"],
    deps=[dg.AssetKey(["voterfile", "voters"])],
    group_name=GROUP,
    kinds={"postgres", "sql"},
    owners=OWNERS,
)
def composition_county(
    context: dg.AssetExecutionContext, database: Database, voterfile: VoterFileSettings
) -> dg.MaterializeResult:
    """Electorate by county: size, active voters, expected voters, race and party mix (SQL)."""
    return _aggregate(context, database, voterfile, "composition_county")


@dg.asset_check(
    asset=["voterfile", "composition_state"],
    blocking=True,
    description="the cells add up to the voter file: registered voters per state and cycle",
)
def composition_reconciles(database: Database, voterfile: VoterFileSettings) -> dg.AssetCheckResult:
    import sqlalchemy as sa

    with database.engine().connect() as conn:
        bad = conn.execute(
            sa.text("""
            SELECT v.cycle, v.state_cd, v.n, c.n AS cells
            FROM (SELECT cycle, state_cd, count(*) AS n FROM voterfile.voters WHERE cycle = ANY(:cycles)
                  GROUP BY 1, 2) v
            LEFT JOIN (SELECT cycle, state_cd, sum(registered) AS n FROM voterfile.composition_state
                       WHERE cycle = ANY(:cycles) GROUP BY 1, 2) c USING (cycle, state_cd)
            WHERE c.n IS DISTINCT FROM v.n"""),
            {"cycles": list(voterfile.cycles)},
        ).all()
    return dg.AssetCheckResult(
        passed=not bad,
        metadata={"states_not_reconciling": len(bad)},
        description=None if not bad else f"mismatches: {bad[:5]}",
    )


@dg.asset(
    key=["voterfile", "mrp_state_estimates"],
    deps=[dg.AssetKey(["voterfile", "composition_state"])],
    group_name=GROUP,
    kinds={"pymc", "postgres"},
    owners=OWNERS,
    pool="pymc_fit",
)
def mrp_state_estimates(
    context: dg.AssetExecutionContext, database: Database, voterfile: VoterFileSettings
) -> dg.MaterializeResult:
    """MRP of two-party vote choice post-stratified on each cycle's voter file -> forecast.mrp_state_estimates;
    the state RMSE against the certified result, MRP vs raw survey means, is recorded as metadata."""
    from forecast_pipeline.config import Settings
    from forecast_pipeline.voterfile.mrp import run_mrp

    engine = _engine(database)
    data_dir = Settings.from_env().data_dir
    meta = {}
    for cycle in voterfile.cycles:
        doc = run_mrp(
            engine,
            data_dir,
            cycle,
            None,
            voterfile.sampler,
            voterfile.draws,
            voterfile.tune,
            voterfile.chains,
            voterfile.seed,
            voterfile.sample_size,
        )
        for k in ("rmse_mrp", "rmse_raw", "max_rhat", "min_ess_bulk", "divergences", "n_states_scored"):
            if doc[k] is not None:
                meta[f"{k}_{cycle}"] = doc[k]
        context.log.info(f"{cycle}: MRP RMSE {doc['rmse_mrp']}, raw {doc['rmse_raw']}")
    return dg.MaterializeResult(metadata=meta)


RESOURCES = {"voterfile": VoterFileSettings()}
