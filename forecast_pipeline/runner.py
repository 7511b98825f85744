"""Run one forecast through the Dagster asset graph, in process, and return its JSON document."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

from forecast_pipeline.models.config import SamplerConfig


def run_forecast(
    cycle: int,
    office: str,
    as_of: date,
    sampler: str = SamplerConfig.sampler,
    draws: int = SamplerConfig.draws,
    tune: int = SamplerConfig.tune,
    chains: int = SamplerConfig.chains,
    seed: int = SamplerConfig.seed,
    max_rhat: float = 1.05,
    min_ess_bulk: float = 100.0,
    log: Callable[[str], None] = print,
    artifacts_dir: str | None = None,
    simulations_path: str | os.PathLike | None = None,
) -> dict:
    """Materialize the forecast and return its JSON document. ``simulations_path``: also write the
    joint simulations there as a wide CSV (gzip when it ends in .gz)."""
    import dagster as dg
    import pandas as pd

    from assets.definitions import default_resources
    from assets.forecast import build_forecast_assets
    from assets.ingest import load_reconciles, raw_polls
    from assets.resources import ForecastTarget
    from forecast_pipeline.config import Settings, redact_url
    from forecast_pipeline.db.server import database_url

    settings = Settings.from_env()
    log(f"database: {redact_url(database_url(settings))}")
    log(f"data: {settings.data_dir}")
    target = ForecastTarget(
        cycle=cycle,
        office=office,
        as_of=as_of.isoformat(),
        sampler=sampler,
        draws=draws,
        tune=tune,
        chains=chains,
        cores=min(chains, os.cpu_count() or 1),
        seed=seed,
        max_rhat=max_rhat,
        min_ess_bulk=min_ess_bulk,
    )
    resources = default_resources(artifacts_dir, target)
    # The forecast path unpartitioned: the forecast comes from the target resource, not a partition.
    forecast_assets, forecast_checks = build_forecast_assets(None)
    ASSETS, CHECKS = [raw_polls, *forecast_assets], [load_reconciles, *forecast_checks]
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    log(
        f"materializing {len(ASSETS)} assets for {cycle} {office} as of {as_of} "
        f"({sampler}, {chains} chains x {tune}+{draws})..."
    )
    level = os.environ.get("FORECAST_DAGSTER_LOG_LEVEL", "WARNING")
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    result = dg.materialize(
        [*ASSETS, *CHECKS],
        resources=resources,
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )

    checks_by_name = {e.check_name: e for e in result.get_asset_check_evaluations()}
    conv = checks_by_name.get("convergence")
    # A failed blocking check shows up as a failed step too; that outcome is "not published", not a crash.
    failed_steps = [
        e.step_key
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE" and not e.step_key.endswith("_convergence")
    ]
    if failed_steps:
        raise RuntimeError(f"pipeline step(s) failed: {failed_steps}; see the log above")

    skipped = [
        e.event_specific_data.asset_observation.metadata["skipped"].value
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
        and "skipped" in e.event_specific_data.asset_observation.metadata
    ]
    if skipped:  # model/input found no race: nothing downstream ran
        from forecast_pipeline.model_input import NoDataError

        raise NoDataError(f"{cycle} {office} as of {as_of}: nothing to forecast: {skipped[0]}")

    from forecast_pipeline.models.summarize import diagnostics

    inp = result.asset_value(["model", "input"])
    posterior = result.asset_value(["model", "posterior"])
    diag = diagnostics(posterior)
    published = conv is not None and conv.passed
    doc = {
        "cycle": cycle,
        "office": office,
        "as_of": as_of.isoformat(),
        "model_version": str(posterior.attrs.get("model_version")),
        "published": published,
        "n_polls": int(len(inp.polls)),
        "diagnostics": {
            "max_rhat": float(diag["max_rhat"]),
            "min_ess_bulk": float(diag["min_ess_bulk"]),
            "divergences": int(diag["divergences"]),
            "sampling_seconds": float(diag["sampling_seconds"]),
        },
    }
    if published:
        table = result.asset_value(["forecast", "race_forecasts"])
    else:
        from forecast_pipeline.db.engine import get_engine
        from forecast_pipeline.publish import build_forecast_table

        doc["check_description"] = conv.description if conv else "convergence check did not run"
        failed_run = conv.metadata.get("failed_forecast_run_id") if conv else None
        doc["failed_run_id"] = int(failed_run.value) if failed_run is not None else None
        table, _ = build_forecast_table(get_engine(settings), inp, posterior)
    from forecast_pipeline.publish import score_table

    scores = score_table(table)
    doc["races"] = [
        {
            "race_id": r.race_id,
            "state": r.state,
            "district": None if pd.isna(r.district) else int(r.district),
            "p_dem_win": float(r.p_dem_win),
            "dem_two_party_mean": float(r.dem_two_party_mean),
            "dem_two_party_q10": float(r.dem_two_party_q10),
            "dem_two_party_q50": float(r.dem_two_party_q50),
            "dem_two_party_q90": float(r.dem_two_party_q90),
            "n_polls": int(r.n_polls),
            "actual_dem_two_party": None
            if pd.isna(r.actual_dem_two_party)
            else float(r.actual_dem_two_party),
        }
        for r in table.itertuples()
    ]
    doc["scores"] = {
        "brier": scores["brier"],
        "rmse_two_party": scores["rmse_two_party"],
        "n_races_scored": scores["n_races_scored"],
    }
    _add_simulation_outputs(doc, settings, inp, posterior, published, simulations_path, log)
    return doc


def _add_simulation_outputs(
    doc: dict, settings, inp, posterior, published: bool, simulations_path, log
) -> None:
    """New keys: per race ``poll_weight``; ``trend``; ``electoral_votes``, ``tipping_point``, ``senate``
    and ``simulations`` (the stored table's reference, not its rows). Computed as publish_outputs
    computes the stored tables (same seed), so the document and forecast.* agree."""
    import numpy as np
    import sqlalchemy as sa

    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.models.summarize import trend_table
    from forecast_pipeline.publish_outputs import build_outputs, simulations_csv

    engine = get_engine(settings)
    out = build_outputs(engine, posterior, inp)
    weights = out.poll_weight
    for race in doc["races"]:
        w = weights.get(race["race_id"], np.nan)
        race["poll_weight"] = None if np.isnan(w) else float(w)
    trend = trend_table(posterior, inp)
    dates = sorted(trend["date"].unique())
    doc["trend"] = {
        "dates": [str(d)[:10] for d in dates],
        "races": {
            str(rid): {
                k: [round(float(v), 5) for v in g.sort_values("date")[k]] for k in ("mean", "q10", "q90")
            }
            for rid, g in trend.groupby("race_id")
        },
    }
    doc.update(out.document())
    run_id = None
    if published:
        with engine.connect() as conn:
            run_id = conn.execute(
                sa.text(
                    "SELECT run_id FROM forecast.runs WHERE cycle = :c AND office = :o AND as_of = :d "
                    "AND status = 'published'"
                ),
                {"c": inp.cycle, "o": inp.office, "d": inp.as_of},
            ).scalar_one()
    csv = None
    if simulations_path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(simulations_path)), exist_ok=True)
        simulations_csv(out, simulations_path)
        csv = str(simulations_path)
        log(f"wrote {csv} ({out.n_sims} simulations x {len(weights)} races)")
    doc["simulations"] = {
        "table": "forecast.simulations",
        "run_id": run_id,
        "n_sims": out.n_sims,
        "n_posterior_draws": out.n_posterior_draws,
        "csv": csv,
    }
