"""Backtests as a Dagster asset partitioned by cycle x office, so one cycle can be re-run from the UI."""

import dagster as dg
from pydantic import Field

from assets.resources import Database
from forecast_pipeline.models.config import SamplerConfig

# Through 2028, so that a new cycle's 538 poll file backtests with no code change.
CYCLES = [str(c) for c in range(2008, 2030, 2)]
OFFICES = ["president", "senate", "governor"]
BACKTEST_PARTITIONS = dg.MultiPartitionsDefinition(
    {
        "cycle": dg.StaticPartitionsDefinition(CYCLES),
        "office": dg.StaticPartitionsDefinition(OFFICES),
    }
)


class BacktestConfig(dg.Config):
    days_before: list[int] = Field(
        default=[90, 60, 30, 14, 7, 1], description="horizons, days before Election Day"
    )
    as_of: str | None = Field(default=None, description="a single ISO as-of date instead of days_before")
    sampler: str = "nutpie"
    draws: int = SamplerConfig.draws
    tune: int = SamplerConfig.tune
    chains: int = 2
    seed: int = 20261127


@dg.asset(
    key=["backtest", "scores"],
    partitions_def=BACKTEST_PARTITIONS,
    deps=[dg.AssetKey(["raw", "polls"])],
    group_name="backtest",
    kinds={"pymc", "postgres"},
    owners=["team:forecasting"],
    pool="pymc_fit",
)
def backtest_scores(context: dg.AssetExecutionContext, config: BacktestConfig, database: Database) -> dict:
    """Replays one cycle x office at each horizon with only the data visible then, scores the forecast
    against the certified results next to three baselines, and stores it in forecast.backtest_*."""
    from datetime import date

    from forecast_pipeline.backtest.run import as_of_dates, run_backtest
    from forecast_pipeline.backtest.store import store_backtest
    from forecast_pipeline.models.config import SamplerConfig

    keys = context.partition_key.keys_by_dimension
    cycle, office = int(keys["cycle"]), keys["office"]
    horizons = as_of_dates(
        cycle, date.fromisoformat(config.as_of) if config.as_of else None, config.days_before
    )
    sampler = SamplerConfig(
        sampler=config.sampler,
        draws=config.draws,
        tune=config.tune,
        chains=config.chains,
        cores=min(config.chains, 2),
        seed=config.seed,
    )
    engine = database.engine()
    doc = run_backtest(engine, cycle, office, horizons, sampler, log=context.log.info)
    ids = store_backtest(engine, doc)
    last = doc["horizons"][-1]
    context.add_output_metadata(
        {
            "backtest_ids": str(ids),
            "n_races": int(last["scores"].get("n_races", 0)),
            "excluded_races": len(doc["excluded"]),
            **{f"model_{k}": float(v) for k, v in last["scores"].items()},
            **{f"{b}_brier": float(s["brier"]) for b, s in last["baselines"].items() if "brier" in s},
        }
    )
    return doc
