"""The code location: every asset, check and resource of the pipeline."""

import dagster as dg

from assets import backtest, checks, forecast, ingest
from assets.resources import Database, ForecastTarget, PosteriorIOManager

ASSETS = dg.load_assets_from_modules([ingest, forecast])
BACKTEST_ASSETS = dg.load_assets_from_modules([backtest])
CHECKS = [*dg.load_asset_checks_from_modules([ingest, forecast]), *checks.CHECKS]


def default_resources(artifacts_dir: str | None = None, target: ForecastTarget | None = None) -> dict:
    from forecast_pipeline.config import Settings

    base = artifacts_dir or str(Settings.from_env().artifacts_dir)
    target = target or ForecastTarget()
    return {
        "database": Database(),
        "target": target,
        "posterior_io": PosteriorIOManager(base_dir=base, target=target),
    }


def build_defs(artifacts_dir: str | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[*ASSETS, *BACKTEST_ASSETS],
        jobs=[dg.define_asset_job("backtest_job", selection=["backtest/scores"], partitions_def=backtest.BACKTEST_PARTITIONS)],
        asset_checks=CHECKS, resources=default_resources(artifacts_dir))


defs = build_defs()
