"""The report's distributions, read from the official joint simulations of a published run.

The simulations are the rows ``forecast.simulations`` (run_id, sim, race_id, dem_share) that
:mod:`forecast_pipeline.publish_outputs` writes in the run's publishing transaction. Everything that
is counted over them is delegated to :mod:`forecast_pipeline.simulations`, the code that made the
published numbers: the Electoral College (:func:`~forecast_pipeline.simulations.electoral_votes`,
Maine and Nebraska districts included) and Senate seats and control
(:func:`~forecast_pipeline.simulations.senate_control`, seats not up included, the same
Vice-President rule and seed). So the report shows the published forecast, not a recomputation of it.

After counting, :func:`summarise` compares the headline numbers with the run's ``forecast.topline``
and raises :class:`SimulationMismatch` when they disagree, so a report can never show other odds than
the ones published. The only tolerated difference is the storage precision: ``dem_share`` is a REAL
(float32), so a simulation in which a share was stored as exactly 0.5 may count differently; the
tolerance is the share of such simulations (none, almost always).

Governors have no office-level aggregate in the published tables; their distribution is the number of
races the Democrats win per simulation, counted over the same stored rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline import simulations as S

SIM_COLUMNS = ["sim", "race_id", "dem_share"]  # the long form, as stored


class NoSimulations(LookupError):
    """The published run has no rows in forecast.simulations."""


class SimulationMismatch(RuntimeError):
    """The stored simulations do not give back the run's published topline."""


@dataclass
class Summary:
    topline: dict  # what the topline cards show (see report.html)
    distribution: pd.DataFrame  # value, probability, p_at_least
    n_sims: int


def load_simulations(conn_or_engine, run_id: int) -> pd.DataFrame:
    """The stored simulations of ``run_id``, long (sim, race_id, dem_share), in (sim, race_id) order.
    Raises :class:`NoSimulations` when the run has none."""
    if isinstance(conn_or_engine, sa.Engine):
        with conn_or_engine.connect() as conn:
            return load_simulations(conn, run_id)
    sims = pd.read_sql(
        sa.text(
            "SELECT sim, race_id, dem_share FROM forecast.simulations WHERE run_id = :r ORDER BY sim, race_id"
        ),
        conn_or_engine,
        params={"r": int(run_id)},
    )
    if sims.empty:
        raise NoSimulations(run_id)
    sims["race_id"] = sims["race_id"].astype(str)
    sims["dem_share"] = sims["dem_share"].astype(float)
    return sims


def published_topline(conn, run_id: int) -> dict[tuple[str, str], float]:
    rows = conn.execute(
        sa.text("SELECT office, metric, value FROM forecast.topline WHERE run_id = :r"), {"r": int(run_id)}
    ).all()
    return {(o, m): (np.nan if v is None else float(v)) for o, m, v in rows}


def distribution(counts: pd.Series | np.ndarray) -> pd.DataFrame:
    """value, probability (share of simulations), p_at_least (P(value or more))."""
    p = pd.Series(np.asarray(counts)).value_counts(normalize=True).sort_index()
    out = pd.DataFrame({"value": p.index.astype(int), "probability": p.to_numpy()})
    out["p_at_least"] = out["probability"][::-1].cumsum()[::-1].to_numpy()
    return out


def races_from_ids(race_ids) -> pd.DataFrame:
    """race_id, office, state, district parsed from race ids (``{cycle}-{office}-{state}[-{district}][-c{class}]``)."""
    rows = []
    for rid in race_ids:
        parts = str(rid).split("-")
        district = next((int(p) for p in parts[3:] if p.isdigit()), None)
        rows.append({"race_id": str(rid), "office": parts[1], "state": parts[2], "district": district})
    out = pd.DataFrame(rows, columns=["race_id", "office", "state", "district"])
    out["district"] = pd.array(out["district"], dtype="Int64")
    return out


def _half_tolerance(wide: pd.DataFrame, race_ids: list[str]) -> float:
    """Share of simulations in which one of ``race_ids`` was stored at exactly 0.5 (see module doc)."""
    cols = [r for r in race_ids if r in wide.columns]
    if not cols:
        return 0.0
    return float((wide[cols].to_numpy() == 0.5).any(axis=1).mean())


def _check(run: dict, name: str, shown: float, published: dict, key: tuple[str, str], tol: float) -> None:
    if key not in published or np.isnan(published[key]):
        return  # a run published before the topline table existed: nothing to compare with
    if abs(shown - published[key]) > tol + 1e-9:
        raise SimulationMismatch(
            f"run {run['run_id']} ({run['cycle']} {run['office']} as of {run['as_of']}): {name} from its "
            f"stored simulations is {shown:.6f}, its published topline says {published[key]:.6f}"
        )


def summarise(conn, run: dict, sims: pd.DataFrame) -> Summary:
    """Topline and distribution of ``run``'s office from its stored simulations ``sims`` (long form).

    President: Democratic electoral votes per simulation; P(270+) etc. Senate: Democratic seats after
    the election per simulation, the seats not up included (from the run's published topline, else
    derived from the results as at publishing), and P(control) with the same VP rule. Governor: races
    won. Raises :class:`SimulationMismatch` when a headline number differs from the published one.
    """
    wide = S.wide_shares(sims)
    races = races_from_ids(wide.columns)
    offices = set(races["office"])
    published = published_topline(conn, run["run_id"])
    office = run["office"]
    n = len(wide)
    if office == "president":
        e = S.electoral_votes(wide, races, run["cycle"])
        ev = e.dem_ev.to_numpy()
        tol = _half_tolerance(wide, e.allocation["race_id"].tolist())
        _check(
            run,
            "P(Democratic electoral-college win)",
            e.p_dem_win,
            published,
            ("president", "p_dem_win_ec"),
            tol,
        )
        topline = {
            "kind": "electoral_votes",
            "total": int(e.total_ev),
            "needed": int(e.majority),
            "p_dem": e.p_dem_win,
            "p_tie": e.p_tie,
            "p_rep": float(np.mean(e.total_ev - ev >= e.majority)),
            "mean": e.mean,
            "median": e.q50,
            "q10": e.q10,
            "q90": e.q90,
            "n_draws": n,
            "missing_states": e.missing_states,
        }
        return Summary(topline, distribution(ev), n)
    if office == "senate":
        from forecast_pipeline.publish_outputs import vp_rule

        if ("senate", "seats_not_up_dem") in published and ("senate", "seats_not_up_rep") in published:
            not_up = {
                S.DEM: int(published[("senate", "seats_not_up_dem")]),
                S.REP: int(published[("senate", "seats_not_up_rep")]),
            }
        else:
            from forecast_pipeline.senate_seats import seats_not_up

            not_up = seats_not_up(conn, run["cycle"])
        vp = vp_rule(conn, run["cycle"], run["as_of"], offices, before_run_id=run["run_id"])
        if vp is None:
            vp = S.vp_from_electoral_college(races, run["cycle"])
        s = S.senate_control(wide, races, not_up, vp)
        tol = _half_tolerance(wide, S.office_races(races, "senate")["race_id"].tolist())
        _check(
            run, "P(Democratic Senate control)", s.p_dem_control, published, ("senate", "p_dem_control"), tol
        )
        _check(run, "mean Democratic seats", s.mean, published, ("senate", "dem_seats_mean"), tol * s.n_races)
        topline = {
            "kind": "senate",
            "p_control": s.p_dem_control,
            "p_tie_50_50": s.p_tie_50_50,
            "mean": s.mean,
            "median": s.q50,
            "q10": s.q10,
            "q90": s.q90,
            "seats_not_up": s.seats_not_up,
            "races": s.n_races,
            "seats_accounted": s.seats_accounted,
            "vp_rule": s.vp_rule,
            "n_draws": n,
        }
        return Summary(topline, distribution(s.dem_seats.to_numpy()), n)
    ids = S.office_races(races, office)["race_id"].tolist()
    won = (wide[ids].to_numpy() > 0.5).sum(axis=1)
    topline = {
        "kind": "seats",
        "races": len(ids),
        "mean": float(won.mean()),
        "median": float(np.median(won)),
        "q10": float(np.quantile(won, 0.1)),
        "q90": float(np.quantile(won, 0.9)),
        "p_dem_majority_of_races": float((won * 2 > len(ids)).mean()),
        "n_draws": n,
    }
    return Summary(topline, distribution(won), n)


def simulations_csv(sims: pd.DataFrame, path) -> None:
    """The stored simulations as a wide CSV: ``sim``, then one column of Democratic two-party share per
    race (the layout of ``run --json``'s simulations CSV, without the posterior draw, which is not stored)."""
    wide = S.wide_shares(sims)
    wide.index.name = "sim"
    wide.to_csv(path, float_format="%.6g")
