"""Run backtests through the Dagster backtest asset, in process, one partition per cycle x office."""

from __future__ import annotations

import os
from collections.abc import Callable


def run_backtest_partition(
    cycle: int,
    office: str,
    days_before: list[int] | None,
    as_of: str | None,
    sampler: str,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    log: Callable[[str], None] = print,
) -> dict:
    import dagster as dg

    from assets.backtest import CYCLES, OFFICES, backtest_scores
    from assets.resources import Database

    if str(cycle) not in CYCLES or office not in OFFICES:
        raise ValueError(f"no backtest partition for {cycle} x {office}; cycles {CYCLES}, offices {OFFICES}")
    cfg = {"sampler": sampler, "draws": draws, "tune": tune, "chains": chains, "seed": seed, "as_of": as_of}
    if days_before:
        cfg["days_before"] = list(days_before)
    level = os.environ.get("FORECAST_DAGSTER_LOG_LEVEL", "WARNING")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    log(f"backtest {cycle} {office}: {'as of ' + as_of if as_of else f'{days_before} days before'}")
    result = dg.materialize(
        [backtest_scores],
        resources={"database": Database()},
        partition_key=dg.MultiPartitionKey({"cycle": str(cycle), "office": office}),
        run_config={
            "ops": {"backtest__scores": {"config": cfg}},
            "loggers": {"console": {"config": {"log_level": level}}},
        },
        instance=instance,
        raise_on_error=True,
    )
    return result.asset_value(["backtest", "scores"])
