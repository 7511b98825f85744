"""Turn a posterior into the race forecast table and publish it to forecast.* atomically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline import scoring
from forecast_pipeline.model_input import actual_two_party
from forecast_pipeline.models.input import ModelInput
from forecast_pipeline.publish_outputs import publish_outputs

TABLE_COLUMNS = [
    "race_id", "state", "district", "p_dem_win", "dem_two_party_mean", "dem_two_party_q10",
    "dem_two_party_q50", "dem_two_party_q90", "n_polls", "actual_dem_two_party",
]


def build_forecast_table(engine: sa.Engine, inp: ModelInput, idata) -> tuple[pd.DataFrame, dict]:
    from forecast_pipeline.models.summarize import race_forecasts

    table = race_forecasts(idata, inp)
    actual = actual_two_party(engine, inp.cycle, inp.office)
    table["actual_dem_two_party"] = table["race_id"].map(actual)
    table = table[TABLE_COLUMNS].sort_values("race_id").reset_index(drop=True)
    return table, score_table(table)


def score_table(table: pd.DataFrame) -> dict:
    known = table[table["actual_dem_two_party"].notna()]
    if known.empty:
        return {"brier": None, "rmse_two_party": None, "n_races_scored": 0}
    outcome = (known["actual_dem_two_party"] > 0.5).astype(float).to_numpy()
    return {
        "brier": scoring.brier(known["p_dem_win"].to_numpy(float), outcome),
        "rmse_two_party": scoring.rmse(known["dem_two_party_mean"].to_numpy(float),
                                       known["actual_dem_two_party"].to_numpy(float)),
        "n_races_scored": int(len(known)),
    }


def publish_forecast(engine: sa.Engine, inp: ModelInput, idata, table: pd.DataFrame, scores: dict,
                     dagster_run_id: str | None = None, posterior_path: str | None = None) -> int:
    """Write the run, its race rows, trend and scores in one transaction.

    The previous published forecast for the same (cycle, office, as_of) is marked superseded in the
    same transaction, so readers see either the old forecast or the new one, never a mix.
    """
    from forecast_pipeline.models.summarize import diagnostics, trend_table

    diag = diagnostics(idata)
    attrs = idata.attrs
    trend = trend_table(idata, inp)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE forecast.runs SET status = 'superseded' "
                    "WHERE cycle = :c AND office = :o AND as_of = :d AND status = 'published'"),
            {"c": inp.cycle, "o": inp.office, "d": inp.as_of},
        )
        run_id = conn.execute(
            sa.text(
                "INSERT INTO forecast.runs (cycle, office, as_of, model_type, model_version, config_hash,"
                " status, max_rhat, min_ess_bulk, divergences, sampling_seconds, n_polls, posterior_path,"
                " dagster_run_id) VALUES (:c, :o, :d, :mt, :mv, :h, 'published', :rh, :ess, :div, :sec,"
                " :n, :p, :dr) RETURNING run_id"
            ),
            {"c": inp.cycle, "o": inp.office, "d": inp.as_of, "mt": attrs.get("model_type"),
             "mv": attrs.get("model_version"), "h": attrs.get("config_hash"),
             "rh": float(diag["max_rhat"]), "ess": float(diag["min_ess_bulk"]),
             "div": int(diag["divergences"]), "sec": float(diag["sampling_seconds"]),
             "n": len(inp.polls), "p": posterior_path, "dr": dagster_run_id},
        ).scalar_one()
        rows = table.assign(run_id=run_id).replace({np.nan: None})
        conn.execute(
            sa.text(
                "INSERT INTO forecast.race_forecasts (run_id, race_id, state, district, p_dem_win,"
                " dem_two_party_mean, dem_two_party_q10, dem_two_party_q50, dem_two_party_q90, n_polls,"
                " actual_dem_two_party) VALUES (:run_id, :race_id, :state, :district, :p_dem_win,"
                " :dem_two_party_mean, :dem_two_party_q10, :dem_two_party_q50, :dem_two_party_q90,"
                " :n_polls, :actual_dem_two_party)"
            ),
            [_plain(r) for r in rows.to_dict("records")],
        )
        if len(trend):
            conn.execute(
                sa.text(
                    "INSERT INTO forecast.race_trend (run_id, race_id, day, dem_two_party_mean,"
                    " dem_two_party_q10, dem_two_party_q90) VALUES (:run_id, :race_id, :day, :mean, :q10, :q90)"
                ),
                [_plain(r) for r in trend.assign(run_id=run_id).rename(columns={"date": "day"}).to_dict("records")],
            )
        conn.execute(
            sa.text("INSERT INTO forecast.scores (run_id, metric, value) VALUES (:r, :m, :v)"),
            [{"r": run_id, "m": k, "v": None if v is None else float(v)} for k, v in scores.items()],
        )
        publish_outputs(conn, run_id, idata, inp)
    return int(run_id)


def _plain(record: dict) -> dict:
    out = {}
    for k, v in record.items():
        if v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out[k] = None
        elif isinstance(v, np.generic):
            out[k] = v.item()
        elif isinstance(v, pd.Timestamp):
            out[k] = v.date()
        else:
            out[k] = v
    return out
