"""Materialize the voter-file asset group in process (the `voterfile run` command)."""

from __future__ import annotations

import os
from collections.abc import Callable


def run_voterfile_assets(
    cycles: list[int],
    fraction: float,
    seed: int,
    states: list[str] | None = None,
    sampler: str = "nutpie",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    sample_size: int | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Generate + load, aggregate and fit the MRP through the Dagster assets; returns their metadata."""
    import dagster as dg

    from assets.definitions import VOTERFILE_ASSETS, VOTERFILE_CHECKS
    from assets.resources import Database
    from assets.voterfile import VoterFileSettings

    settings = VoterFileSettings(
        cycles=cycles,
        fraction=fraction,
        seed=seed,
        states=states,
        sampler=sampler,
        draws=draws,
        tune=tune,
        chains=chains,
        sample_size=sample_size,
    )
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    level = os.environ.get("FORECAST_DAGSTER_LOG_LEVEL", "WARNING")
    log(
        f"materializing {len(VOTERFILE_ASSETS)} voter-file assets for {cycles} (fraction {fraction}, seed {seed})..."
    )
    result = dg.materialize(
        [*VOTERFILE_ASSETS, *VOTERFILE_CHECKS],
        resources={"database": Database(), "voterfile": settings},
        instance=instance,
        run_config={"loggers": {"console": {"config": {"log_level": level}}}},
        raise_on_error=True,
    )
    out = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        out["/".join(mat.asset_key.path)] = {k: v.value for k, v in mat.metadata.items()}
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    out["checks"] = checks
    return out
