"""The code location: every asset, check and resource of the pipeline."""

from __future__ import annotations

import dagster as dg

from assets import forecast, ingest
from assets.resources import Database, ForecastTarget, PosteriorIOManager


def build_defs(artifacts_dir: str | None = None) -> dg.Definitions:
    from forecast_pipeline.config import Settings

    base = artifacts_dir or str(Settings.from_env().artifacts_dir)
    return dg.Definitions(
        assets=dg.load_assets_from_modules([ingest, forecast]),
        asset_checks=dg.load_asset_checks_from_modules([ingest, forecast]),
        resources={
            "database": Database(),
            "target": ForecastTarget(),
            "posterior_io": PosteriorIOManager(base_dir=base),
        },
    )


defs = build_defs()
