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


def build_report(engine: sa.Engine, cycle: int, office: str, as_of: dt.date, out_dir: str | Path) -> dict:
    """Write report.html, races.csv and simulations.csv for the published forecast of (cycle, office,
    as_of) into ``out_dir``.

    The distributions and topline odds come from the run's official joint simulations
    (``forecast.simulations``, counted by :mod:`forecast_pipeline.simulations`; see
    :mod:`forecast_pipeline.report.simulate`), so they are the published numbers. A published run
    without stored simulations (published before they were stored, or its rows deleted) is an error
    naming the run: the report does not make up a distribution the forecast never published.
    """
    from forecast_pipeline.report.html import render

    out_dir = Path(out_dir)
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

    with engine.connect() as conn:
        try:
            simulations = sim.load_simulations(conn, run["run_id"])
        except sim.NoSimulations:
            raise ReportError(
                f"forecast run {run['run_id']} ({cycle} {office} as of {as_of}, published "
                f"{str(run['created_at'])[:19]}) has no stored simulations in forecast.simulations, so its "
                "electoral-vote / seat distribution is unknown; publish it again with "
                f"`forecast-pipeline run --cycle {cycle} --office {office} --as-of {as_of}` "
                "(or re-materialize that partition in Dagster)"
            ) from None
        try:
            summary = sim.summarise(conn, run, simulations)
        except sim.SimulationMismatch as exc:
            raise ReportError(str(exc)) from exc
    out_dir.mkdir(parents=True, exist_ok=True)

    title = f"{cycle} {office.capitalize()} forecast as of {as_of}"
    topline, dist = summary.topline, summary.distribution
    n_sims = f"{summary.n_sims:,}"
    if topline["kind"] == "electoral_votes":
        dist_png = plots.distribution_png(
            dist, "Democratic electoral votes", topline["needed"], f"Electoral votes in {n_sims} simulations"
        )
    elif topline["kind"] == "senate":
        dist_png = plots.distribution_png(
            dist,
            f"Democratic Senate seats (incl. {topline['seats_not_up'].get('DEM', 0)} not up)",
            51,
            f"Senate seats after the election in {n_sims} simulations",
        )
    else:
        noun = "governorships"
        dist_png = plots.distribution_png(
            dist,
            f"Democratic {noun} won of the {topline['races']} up",
            None,
            f"{noun.capitalize()} won in {n_sims} simulations",
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
    sim.simulations_csv(simulations, sims_csv)
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
        ),
        encoding="utf-8",
    )
    return {
        "html": html_path,
        "races_csv": races_csv,
        "simulations_csv": sims_csv,
        "n_races": len(table),
        "n_sims": summary.n_sims,
        "topline": topline,
        "distribution": dist,
        "distribution_png": dist_png,
        "topline_md": _topline_md(topline, office),
    }


def _topline_md(topline: dict, office: str) -> str:
    if topline["kind"] == "electoral_votes":
        return (
            f"P(Democratic win) **{100 * topline['p_dem']:.1f}%**, tie {100 * topline['p_tie']:.1f}%, "
            f"median {topline['median']:.0f} electoral votes (80%: {topline['q10']:.0f}-{topline['q90']:.0f})"
        )
    if topline["kind"] == "senate":
        return (
            f"P(Democratic Senate control) **{100 * topline['p_control']:.1f}%**, "
            f"median {topline['median']:.0f} Democratic seats (80%: {topline['q10']:.0f}-{topline['q90']:.0f}; "
            f"{topline['seats_not_up'].get('DEM', 0)} of them not up)"
        )
    return (
        f"Democratic wins in {office} races: median {topline['median']:.0f} of {topline['races']} "
        f"(80%: {topline['q10']:.0f}-{topline['q90']:.0f})"
    )
