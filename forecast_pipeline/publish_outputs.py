"""Write a run's joint-simulation outputs to forecast.* (in the caller's transaction).

Tables (sql/007_simulations.sql, sql/008_poll_weight.sql): ``forecast.simulations`` (COPY),
``ev_distribution``, ``tipping_point``, ``seat_distribution``, ``topline`` and
``race_forecasts.poll_weight``. The numbers come from :func:`forecast_pipeline.simulations.forecast_outputs`;
:func:`build_outputs` resolves what it needs from the database (Senate seats not up, the VP's party),
so the JSON document of ``run --json`` and the stored tables are computed the same way, with the same
seed, and agree.

Vice President for Senate control: the Electoral College winner of the same simulation when the fit
has presidential races; in a midterm the sitting VP's party (``simulations.sitting_vp_party``); in a
presidential year whose presidential race is fitted separately, P(Dem EC win) of the latest published
presidential run for the same cycle and as-of date, drawn independently per simulation, else unknown
(a 50-50 Senate counts half).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline import simulations as S
from forecast_pipeline.models.input import ModelInput

log = logging.getLogger(__name__)


def prior_variance_from_idata(idata) -> pd.Series | None:
    """Per race, the variance of ``election_day_share`` in the DataTree's ``prior`` group (prior
    predictive draws), when the fit stored one; else None."""
    try:
        children = idata.children
    except AttributeError:
        return None
    if "prior" not in children or S.VAR not in idata["prior"].data_vars:
        return None
    arr, ids = S._draw_matrix(idata["prior"][S.VAR], None)
    return pd.Series(arr.var(axis=0, ddof=1), index=ids)


def _races(idata, inp: ModelInput) -> pd.DataFrame:
    races = inp.races.assign(race_id=inp.races["race_id"].astype(str))
    post = [str(r) for r in idata["posterior"]["race"].values]
    missing = sorted(set(races["race_id"]) - set(post))
    if missing:
        raise ValueError(f"race(s) of the model input not in the posterior: {missing[:5]}")
    return races


def _vp_party(conn: sa.Connection, inp: ModelInput, races: pd.DataFrame):
    offices = set(races["office"] if "office" in races.columns else races["race_id"].map(S.office_of))
    return vp_rule(conn, inp.cycle, inp.as_of, offices)


def vp_rule(conn: sa.Connection, cycle: int, as_of, offices, before_run_id: int | None = None):
    """The ``vp_party`` argument of :func:`forecast_pipeline.simulations.senate_control` for a fit of
    ``offices`` (see the module doc); None when the fit has no Senate race or has presidential races
    (the Electoral College of the same simulation decides). ``before_run_id``: only presidential runs
    published before that run count (the report uses it to reproduce a run's published numbers)."""
    offices = set(offices)
    if "senate" not in offices or "president" in offices:
        return None  # forecast_outputs uses the Electoral College of the same simulation
    if cycle % 4:
        return S.sitting_vp_party(cycle)
    p = conn.execute(
        sa.text(
            "SELECT t.value FROM forecast.topline t JOIN forecast.runs r USING (run_id) "
            "WHERE r.cycle = :c AND r.as_of = :d AND t.office = 'president' AND t.metric = 'p_dem_win_ec' "
            # at publishing: the latest published run; for a report: the latest run published before
            # the Senate run (since superseded or not)
            "AND (r.status = 'published' OR (CAST(:before AS BIGINT) IS NOT NULL AND r.status = 'superseded')) "
            "AND (CAST(:before AS BIGINT) IS NULL OR r.run_id < :before) "
            "ORDER BY r.run_id DESC LIMIT 1"
        ),
        {"c": cycle, "d": as_of, "before": before_run_id},
    ).scalar_one_or_none()
    return float("nan") if p is None else float(p)


def build_outputs(
    conn_or_engine,
    idata,
    inp: ModelInput,
    n_sims: int = S.DEFAULT_N_SIMS,
    seed: int = S.DEFAULT_SEED,
    prior_variance: Mapping[str, float] | pd.Series | None = None,
    seats_not_up: Mapping[str, int] | None = None,
) -> S.ForecastOutputs:
    """The run's outputs, with the Senate seats not up and the VP rule read from the database.

    ``prior_variance``: per race, the prior variance of the Election-Day share (for poll_weight); when
    None it is taken from the DataTree's ``prior`` group if there is one, else poll_weight is NULL.
    """
    if isinstance(conn_or_engine, sa.Engine):
        with conn_or_engine.connect() as conn:
            return build_outputs(conn, idata, inp, n_sims, seed, prior_variance, seats_not_up)
    conn = conn_or_engine
    races = _races(idata, inp)
    offices = set(races["office"] if "office" in races.columns else races["race_id"].map(S.office_of))
    if "senate" in offices and seats_not_up is None:
        from forecast_pipeline.senate_seats import seats_not_up as derive

        seats_not_up = derive(conn, inp.cycle)
    if prior_variance is None:
        prior_variance = prior_variance_from_idata(idata)
    return S.forecast_outputs(
        idata,
        races,
        n_sims=n_sims,
        seed=seed,
        seats_not_up=seats_not_up,
        vp_party=_vp_party(conn, inp, races),
        prior_variance=prior_variance,
    )


_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_PGCOPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def simulations_copy_payload(run_id: int, sims: pd.DataFrame) -> bytes:
    """The simulations in PostgreSQL's binary COPY format (run_id bigint, sim int, race_id text,
    dem_share real), built with numpy: every row of one race has the same length, so a race's rows are
    one fixed-size structured array; the races' arrays are laid side by side so that the rows come in
    primary-key order (sim, then race id in byte order = the column's "C" collation), which keeps the
    index build an append. Every race must have every simulation (a joint table always does)."""
    wide = S.wide_shares(sims)
    if wide.isna().to_numpy().any():
        raise ValueError("the simulation table is not joint: some race lacks some simulation")
    names = sorted((str(c).encode(), c) for c in wide.columns)
    sim = wide.index.to_numpy()
    blocks = []
    for rid, col in names:
        dtype = np.dtype(
            [
                ("nf", ">i2"),
                ("l1", ">i4"),
                ("run", ">i8"),
                ("l2", ">i4"),
                ("sim", ">i4"),
                ("l3", ">i4"),
                ("rid", f"S{len(rid)}"),
                ("l4", ">i4"),
                ("share", ">f4"),
            ]
        )
        rows = np.empty(len(sim), dtype=dtype)
        rows["nf"], rows["l1"], rows["run"], rows["l2"] = 4, 8, int(run_id), 4
        rows["sim"] = sim
        rows["l3"], rows["rid"], rows["l4"] = len(rid), rid, 4
        rows["share"] = wide[col].to_numpy(dtype=np.float32)
        blocks.append(rows.view(np.uint8).reshape(len(sim), dtype.itemsize))
    body = np.concatenate(blocks, axis=1) if blocks else np.empty((0, 0), np.uint8)
    return _PGCOPY_HEADER + body.tobytes() + _PGCOPY_TRAILER


def copy_simulations(conn: sa.Connection, run_id: int, sims: pd.DataFrame) -> float:
    """COPY (binary) the long simulation table into forecast.simulations; returns the seconds it took."""
    t0 = time.perf_counter()
    payload = simulations_copy_payload(run_id, sims)
    with conn.connection.driver_connection.cursor() as cur:
        cur.copy_expert(
            "COPY forecast.simulations (run_id, sim, race_id, dem_share) FROM STDIN WITH (FORMAT binary)",
            io.BytesIO(payload),
        )
    return time.perf_counter() - t0


def write_outputs(conn: sa.Connection, run_id: int, out: S.ForecastOutputs) -> dict:
    """Insert ``out`` for ``run_id``; returns counts and the COPY time."""
    seconds = copy_simulations(conn, run_id, out.sims)
    if out.president is not None:
        conn.execute(
            sa.text("INSERT INTO forecast.ev_distribution (run_id, ev, probability) VALUES (:r, :e, :p)"),
            [
                {"r": run_id, "e": int(r.ev), "p": float(r.probability)}
                for r in out.president.distribution.itertuples()
            ],
        )
        conn.execute(
            sa.text("INSERT INTO forecast.tipping_point (run_id, race_id, probability) VALUES (:r, :i, :p)"),
            [{"r": run_id, "i": r.race_id, "p": float(r.probability)} for r in out.tipping.itertuples()],
        )
    if out.senate is not None:
        conn.execute(
            sa.text(
                "INSERT INTO forecast.seat_distribution (run_id, dem_seats, probability) VALUES (:r, :s, :p)"
            ),
            [
                {"r": run_id, "s": int(r.dem_seats), "p": float(r.probability)}
                for r in out.senate.seat_distribution.itertuples()
            ],
        )
    top = out.topline()
    if len(top):
        conn.execute(
            sa.text("INSERT INTO forecast.topline (run_id, office, metric, value) VALUES (:r, :o, :m, :v)"),
            [
                {
                    "r": run_id,
                    "o": r.office,
                    "m": r.metric,
                    "v": None if np.isnan(r.value) else float(r.value),
                }
                for r in top.itertuples()
            ],
        )
    weights = out.poll_weight.dropna() if out.poll_weight is not None else pd.Series(dtype=float)
    if len(weights):
        conn.execute(
            sa.text("UPDATE forecast.race_forecasts SET poll_weight = :w WHERE run_id = :r AND race_id = :i"),
            [{"r": run_id, "i": str(i), "w": float(w)} for i, w in weights.items()],
        )
    log.info("run %s: %d simulation rows copied in %.2fs", run_id, len(out.sims), seconds)
    return {"simulation_rows": len(out.sims), "copy_seconds": seconds}


def publish_outputs(
    conn: sa.Connection,
    run_id: int,
    idata,
    inp: ModelInput,
    n_sims: int = S.DEFAULT_N_SIMS,
    seed: int = S.DEFAULT_SEED,
    prior_variance: Mapping[str, float] | pd.Series | None = None,
    seats_not_up: Mapping[str, int] | None = None,
) -> S.ForecastOutputs:
    """Compute and write the joint-simulation outputs of ``run_id`` in the caller's transaction
    (``conn`` from ``engine.begin()``), so they appear together with the run's other rows."""
    out = build_outputs(conn, idata, inp, n_sims, seed, prior_variance, seats_not_up)
    write_outputs(conn, run_id, out)
    return out


def simulations_csv(out: S.ForecastOutputs, path) -> None:
    """The simulations as a wide CSV (gzip by suffix): ``sim``, ``draw`` (the posterior draw it
    resamples), then one column of Democratic two-party share per race."""
    wide = S.wide_shares(out.sims)
    draws = out.sims.drop_duplicates("sim").set_index("sim")["draw"]
    wide.insert(0, "draw", draws.reindex(wide.index).to_numpy())
    wide.index.name = "sim"
    wide.to_csv(path, float_format="%.6g")
