"""The code location: every asset, check, job, schedule, sensor and resource of the pipeline.

To add a module: import it and append its assets / checks / jobs / schedules / sensors to the lists.
"""

import dagster as dg

from assets import automation, backtest, checks, forecast, freshness, ingest, voterfile
from assets.resources import Database, ForecastTarget, PosteriorIOManager

ASSETS = [*dg.load_assets_from_modules([ingest]), *forecast.FORECAST_ASSETS]
BACKTEST_ASSETS = dg.load_assets_from_modules([backtest])
CHECKS = [
    *dg.load_asset_checks_from_modules([ingest]),
    *forecast.FORECAST_CHECKS,
    *freshness.FRESHNESS_CHECKS,
    *checks.CHECKS,
]
JOBS = [
    *automation.JOBS,
    dg.define_asset_job(
        "backtest_job", selection=["backtest/scores"], partitions_def=backtest.BACKTEST_PARTITIONS
    ),
]
SCHEDULES = [*automation.SCHEDULES]
SENSORS = [*automation.SENSORS, freshness.FRESHNESS_SENSOR]
VOTERFILE_ASSETS = dg.load_assets_from_modules([voterfile])
VOTERFILE_CHECKS = dg.load_asset_checks_from_modules([voterfile])


def default_resources(artifacts_dir: str | None = None, target: ForecastTarget | None = None) -> dict:
    from forecast_pipeline.config import Settings

    base = artifacts_dir or str(Settings.from_env().artifacts_dir)
    # Without a target (the code location), the target is configured at launch: the Launchpad's or a
    # schedule's `resources: target: config:` (e.g. fewer draws) then reaches the posterior IO manager
    # too, whose config hash must match the fit's. Every field has a default, so no config is needed.
    target = target or ForecastTarget.configure_at_launch()
    return {
        "database": Database(),
        "target": target,
        "posterior_io": PosteriorIOManager(base_dir=base, target=target),
    }


def build_defs(artifacts_dir: str | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[*ASSETS, *BACKTEST_ASSETS, *VOTERFILE_ASSETS],
        asset_checks=[*CHECKS, *VOTERFILE_CHECKS],
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources={**default_resources(artifacts_dir), **voterfile.RESOURCES},
    )


defs = build_defs()
