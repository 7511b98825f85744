"""Build the report of one published forecast: an HTML page that works offline, plus CSV exports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from forecast_pipeline.report import changes as ch
from forecast_pipeline.report import plots
from forecast_pipeline.report import simulate as sim


class ReportError(RuntimeError):
    pass


def published_run(engine: sa.Engine, cycle: int, office: str, as_of: dt.date) -> dict:
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.text(
                    "SELECT * FROM forecast.runs WHERE cycle = :c AND office = :o AND as_of = :d "
                    "AND status = 'published' ORDER BY run_id DESC LIMIT 1"
                ),
                {"c": cycle, "o": office, "d": as_of},
            )
            .mappings()
            .first()
        )
    if row is None:
        raise ReportError(
            f"no published forecast for {cycle} {office} as of {as_of}; make one first with "
            f"`forecast-pipeline run --cycle {cycle} --office {office} --as-of {as_of}` "
            "(or materialize that partition in Dagster)"
        )
    return dict(row)


def _read(engine: sa.Engine, sql: str, **params) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.text(sql), conn, params=params)


def _load_idata(run: dict):
    """The run's posterior, or (None, reason)."""
    from forecast_pipeline.models.summarize import load_posterior

    path = run.get("posterior_path")
    if not path:
        return None, "the run did not record where its posterior is stored"
    if not Path(path).is_file():
        return None, f"posterior file {path} is missing"
    try:
        idata = load_posterior(path, None)
    except Exception as exc:  # a posterior of another model version: report without the distribution
        return None, f"posterior {path} cannot be read by this code: {exc}"
    stored = (idata.attrs.get("cycle"), idata.attrs.get("office"), idata.attrs.get("as_of"))
    wanted = (run["cycle"], run["office"], str(run["as_of"]))
    if stored != wanted or idata.attrs.get("config_hash") != run["config_hash"]:
        # the unpartitioned `run` path keeps one posterior file, which a later run replaces
        return None, f"posterior file {path} now holds another fit ({stored}); re-run the forecast"
    return idata, None


def build_report(
    engine: sa.Engine,
    cycle: int,
    office: str,
    as_of: dt.date,
    out_dir: str | Path,
    idata=None,
    simulations: pd.DataFrame | None = None,
) -> dict:
    """Write report.html, races.csv and simulations.csv for the published forecast of (cycle, office,
    as_of) into ``out_dir``. ``simulations`` (draw, race_key, share_dem) overrides the posterior draws;
    ``idata`` saves re-reading the posterior from disk."""
    from forecast_pipeline.races import electoral_votes
    from forecast_pipeline.report.html import render

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = published_run(engine, cycle, office, as_of)
    table = _read(
        engine, "SELECT * FROM forecast.race_forecasts WHERE run_id = :r ORDER BY race_id", r=run["run_id"]
    ).drop(columns=["run_id"])
    trend = _read(
        engine,
        "SELECT race_id, day, dem_two_party_mean AS mean, dem_two_party_q10 AS q10, "
        "dem_two_party_q90 AS q90 FROM forecast.race_trend WHERE run_id = :r",
        r=run["run_id"],
    )
    scores = _read(engine, "SELECT metric, value FROM forecast.scores WHERE run_id = :r", r=run["run_id"])

    sims_note = None
    if simulations is None:
        if idata is None:
            idata, sims_note = _load_idata(run)
        if idata is not None:
            simulations = sim.simulations_from_posterior(idata)
    if simulations is not None:
        simulations = simulations[simulations["race_key"].isin(table["race_id"])]

    title = f"{cycle} {office.capitalize()} forecast as of {as_of}"
    dist = topline = None
    dist_png = b""
    if simulations is not None and len(simulations):
        if office == "president":
            state_of = dict(zip(table["race_id"], table["state"], strict=True))
            evs = electoral_votes(cycle)
            ev_by_race = {r: evs.get(s, 0) for r, s in state_of.items()}
            total = sum(evs.values())
            dem_ev = sim.electoral_votes_by_draw(simulations, ev_by_race)
            topline = {"kind": "electoral_votes", **sim.electoral_topline(dem_ev, total)}
            dist = sim.distribution(dem_ev)
            dist_png = plots.distribution_png(
                dist,
                "Democratic electoral votes",
                topline["needed"],
                f"Electoral votes in {topline['n_draws']:,} simulations",
            )
        else:
            seats = sim.seats_by_draw(simulations)
            n = int(simulations["race_key"].nunique())
            topline = {"kind": "seats", **sim.seat_topline(seats, n)}
            dist = sim.distribution(seats)
            noun = "seats" if office == "senate" else "governorships"
            dist_png = plots.distribution_png(
                dist,
                f"Democratic {noun} won of the {n} up",
                None,
                f"{noun.capitalize()} won in {topline['n_draws']:,} simulations",
            )

    prev = ch.previous_run(engine, run)
    new_polls = changes = None
    if prev is not None:
        prev_table = _read(
            engine, "SELECT * FROM forecast.race_forecasts WHERE run_id = :r", r=prev["run_id"]
        )
        new_polls = ch.new_polls(engine, cycle, office, prev["as_of"], as_of)
        changes = ch.race_changes(table, prev_table, new_polls)
    why = ch.explain(run, prev, changes, new_polls)

    closest = table.iloc[(table["p_dem_win"] - 0.5).abs().argsort()[:8]]["race_id"].tolist()
    trend_png = (
        plots.trend_png(trend, closest, "Closest races: latent support, mean and 80% band")
        if len(trend)
        else b""
    )
    map_probs = plots.p_by_state(table)

    races_csv = out_dir / "races.csv"
    table.to_csv(races_csv, index=False)
    sims_csv = out_dir / "simulations.csv"
    if simulations is not None:
        simulations.to_csv(sims_csv, index=False, float_format="%.5f")
    else:
        pd.DataFrame(columns=sim.SIM_COLUMNS).to_csv(sims_csv, index=False)
    html_path = out_dir / "report.html"
    html_path.write_text(
        render(
            title=title,
            run=run,
            table=table,
            topline=topline,
            dist_png=dist_png,
            map_probs=map_probs,
            trend_png=trend_png,
            why=why,
            changes=changes,
            new_polls=new_polls,
            scores=scores,
            sims_note=sims_note,
        ),
        encoding="utf-8",
    )
    return {
        "html": html_path,
        "races_csv": races_csv,
        "simulations_csv": sims_csv,
        "n_races": len(table),
        "topline": topline,
        "distribution": dist,
        "distribution_png": dist_png,
        "topline_md": _topline_md(topline, office),
    }


def _topline_md(topline: dict | None, office: str) -> str:
    if topline is None:
        return "no simulations available"
    if topline["kind"] == "electoral_votes":
        return (
            f"P(Democratic win) **{100 * topline['p_dem']:.1f}%**, tie {100 * topline['p_tie']:.1f}%, "
            f"median {topline['median']:.0f} electoral votes (80%: {topline['q10']:.0f}-{topline['q90']:.0f})"
        )
    return (
        f"Democratic wins in {office} races: median {topline['median']:.0f} of {topline['races']} "
        f"(80%: {topline['q10']:.0f}-{topline['q90']:.0f})"
    )
