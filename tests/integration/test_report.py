"""The forecast report: built from a published run's rows and its stored joint simulations (the
numbers must be the published ones, for president and Senate), rendered in headless Chromium with the
network cut off (topline and map present; screenshot kept), refused without simulations, and the CLI."""

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from forecast_pipeline.model_input import visible_polls
from forecast_pipeline.races import electoral_votes
from forecast_pipeline.report.build import ReportError, build_report
from tests import browser

BEFORE, AS_OF = date(2020, 10, 21), date(2020, 10, 28)  # dates no other test publishes
SENATE_AS_OF, NO_SIMS_AS_OF = date(2020, 10, 7), date(2020, 9, 30)


def _wide(race_ids: list[str], means: list[float], n: int, seed: int) -> pd.DataFrame:
    """Joint draws (one row per draw, one column per race) with a national swing shared by every race."""
    rng = np.random.default_rng(seed)
    national = rng.normal(0, 0.03, (n, 1))
    arr = np.clip(np.asarray(means)[None, :] + national + rng.normal(0, 0.02, (n, len(means))), 0.01, 0.99)
    return pd.DataFrame(arr, columns=race_ids)


def _insert_run(conn, office: str, as_of: date, table: list[dict]) -> int:
    run_id = conn.execute(
        sa.text(
            "INSERT INTO forecast.runs (cycle, office, as_of, model_type, model_version, config_hash, status,"
            " max_rhat, min_ess_bulk, divergences, sampling_seconds, n_polls) VALUES"
            " (2020, :o, :d, 'state_poll_model', 'test', 'abc123', 'published', 1.01, 400, 0, 12.5,"
            " 100) RETURNING run_id"
        ),
        {"o": office, "d": as_of},
    ).scalar_one()
    conn.execute(
        sa.text(
            "INSERT INTO forecast.race_forecasts (run_id, race_id, state, p_dem_win, dem_two_party_mean,"
            " dem_two_party_q10, dem_two_party_q50, dem_two_party_q90, n_polls) VALUES"
            " (:r, :race, :s, :p, :m, :m - 0.03, :m, :m + 0.03, 3)"
        ),
        [{"r": run_id, **row} for row in table],
    )
    conn.execute(
        sa.text(
            "INSERT INTO forecast.race_trend (run_id, race_id, day, dem_two_party_mean, dem_two_party_q10,"
            " dem_two_party_q90) VALUES (:r, :race, :d, :m, :m - 0.02, :m + 0.02)"
        ),
        [
            {"r": run_id, "race": row["race"], "d": d, "m": row["m"]}
            for row in table
            for d in pd.date_range("2020-09-01", as_of).date
        ],
    )
    return run_id


def _p_win(m: float) -> float:
    return float(np.clip(0.5 + (m - 0.5) * 12, 0.001, 0.999))


def _publish(engine, as_of: date, shares: dict[str, float], simulations: bool = True, seed: int = 1) -> int:
    """A published presidential run with one row per state, and its joint simulations and outputs
    written by the publishing code (simulations.forecast_outputs + publish_outputs.write_outputs)."""
    from forecast_pipeline import simulations as S
    from forecast_pipeline.publish_outputs import write_outputs

    states = sorted(shares)
    ids = [f"2020-president-{s}" for s in states]
    with engine.begin() as conn:
        run_id = _insert_run(
            conn,
            "president",
            as_of,
            [
                {"race": i, "s": s, "m": shares[s], "p": _p_win(shares[s])}
                for i, s in zip(ids, states, strict=True)
            ],
        )
        if simulations:
            races = pd.DataFrame(
                {"race_id": ids, "state": states, "district": pd.array([None] * len(ids), "Int64")}
            )
            out = S.forecast_outputs(_wide(ids, [shares[s] for s in states], 600, seed), races, n_sims=1200)
            write_outputs(conn, run_id, out)
    return run_id


def _topline(engine, run_id: int) -> dict:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.text("SELECT metric, value FROM forecast.topline WHERE run_id = :r"), {"r": run_id}
            ).all()
        )


@pytest.fixture()
def published(engine, loaded):
    evs = electoral_votes(2020)
    rng = np.random.default_rng(7)
    before = {s: float(np.clip(0.5 + rng.normal(0, 0.09), 0.2, 0.8)) for s in sorted(evs)}
    before["CA"], before["WY"], before["GA"] = 0.65, 0.30, 0.50
    after = {**before, "GA": 0.53, "PA": before["PA"] + 0.04}
    ids = [_publish(engine, BEFORE, before, seed=2), _publish(engine, AS_OF, after, seed=3)]
    yield {"shares": after, "run_id": ids[1]}
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM forecast.runs WHERE run_id = ANY(:ids)"), {"ids": ids})


def test_report_numbers_and_offline_rendering(engine, published, tmp_path):
    rep = build_report(engine, 2020, "president", AS_OF, tmp_path / "report")

    # The report shows the published forecast: P(270+), P(269-269) and the EV quantiles are the values
    # in the run's forecast.topline, and the distribution is its forecast.ev_distribution.
    top = _topline(engine, published["run_id"])
    assert rep["topline"]["p_dem"] == pytest.approx(top["p_dem_win_ec"], abs=1e-12)
    assert rep["topline"]["p_tie"] == pytest.approx(top["p_tie_ec"], abs=1e-12)
    assert [rep["topline"][k] for k in ("q10", "median", "q90")] == [
        top["ev_q10"],
        top["ev_q50"],
        top["ev_q90"],
    ]
    assert 0.02 < top["p_dem_win_ec"] < 0.98  # a number that a wrong count would change
    with engine.connect() as conn:
        ev_dist = pd.read_sql(
            sa.text("SELECT ev, probability FROM forecast.ev_distribution WHERE run_id = :r ORDER BY ev"),
            conn,
            params={"r": published["run_id"]},
        )
    assert rep["distribution"]["value"].tolist() == ev_dist["ev"].tolist()
    np.testing.assert_allclose(rep["distribution"]["probability"], ev_dist["probability"], atol=1e-12)
    assert rep["topline"]["total"] == 538 and rep["topline"]["needed"] == 270 and rep["n_races"] == 51
    assert rep["n_sims"] == top["n_sims"] == 1200

    # simulations.csv: the stored joint simulations, one row per simulation, one column per race;
    # counting electoral votes in it by hand gives the same P(270+).
    wide = pd.read_csv(rep["simulations_csv"], index_col="sim")
    assert wide.shape == (1200, 51)
    evs = electoral_votes(2020)
    dem_ev = (wide > 0.5).to_numpy(int) @ np.array([evs[c.split("-")[-1]] for c in wide.columns])
    assert float((dem_ev >= 270).mean()) == pytest.approx(top["p_dem_win_ec"], abs=1e-12)
    races = pd.read_csv(rep["races_csv"])
    assert len(races) == 51 and races.set_index("state").loc["GA", "p_dem_win"] == pytest.approx(0.86)

    html = rep["html"].read_text()
    assert "1,200 joint simulations (published)" in html
    # What changed: exactly the polls that became visible between the two dates.
    new = set(visible_polls(engine, 2020, "president", AS_OF)["poll_id"]) - set(
        visible_polls(engine, 2020, "president", BEFORE)["poll_id"]
    )
    assert len(new) > 0
    assert f"{len(new)} new poll(s) since then" in html
    assert f"Compared with the forecast as of {BEFORE}" in html
    assert "GA: P(D win) 50% -&gt; 86%" in html
    # Self-contained: no resource is fetched from anywhere.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and "@import" not in html

    url = rep["html"].resolve().as_uri()
    dom = browser.dump_dom(url, extra=browser.offline_flags())
    assert "Democrat wins" in dom and f"{100 * top['p_dem_win_ec']:.0f}%" in dom
    assert len(re.findall(r'class="tile" data-state="[A-Z]{2}"', dom)) == 51
    assert 'data-state="CA"' in dom and "CA: P(D win)" in dom

    shot = browser.screenshot(
        url, browser.artifacts_dir() / "report-2020-president.png", extra=browser.offline_flags()
    )
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[0] >= 2000 and img.shape[1] >= 1000
    # The map and the charts drew: strongly blue and strongly red pixels are on the page.
    blue = (img[..., 2] > 150) & (img[..., 0] < 80)
    red = (img[..., 0] > 170) & (img[..., 1] < 80) & (img[..., 2] < 80)
    assert blue.sum() > 2000 and red.sum() > 2000


def test_senate_report_counts_the_seats_not_up(engine, loaded, tmp_path):
    """The Senate report: seats after the election = the Democratic seats not up (35 in 2020) + the
    races won, P(control) with the VP rule the run was published with; both equal the published tables."""
    import xarray as xr

    from forecast_pipeline.model_input import build_model_input
    from forecast_pipeline.publish_outputs import publish_outputs
    from forecast_pipeline.senate_seats import seats_not_up

    evs = electoral_votes(2020)
    pres_id = _publish(engine, SENATE_AS_OF, {s: 0.5 + (0.1 if s < "M" else -0.1) for s in evs}, seed=5)
    inp = build_model_input(engine, 2020, "senate", SENATE_AS_OF)
    ids = inp.races["race_id"].astype(str).tolist()
    states = inp.races["state"].tolist()
    assert len(ids) == 35
    means = np.random.default_rng(11).uniform(0.42, 0.58, len(ids))
    draws = _wide(ids, list(means), 600, seed=12).to_numpy().reshape(2, 300, -1)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {"election_day_share": (("chain", "draw", "race"), draws)}, coords={"race": ids}
            )
        }
    )
    with engine.begin() as conn:
        run_id = _insert_run(
            conn,
            "senate",
            SENATE_AS_OF,
            [
                {"race": i, "s": s, "m": float(m), "p": _p_win(m)}
                for i, s, m in zip(ids, states, means, strict=True)
            ],
        )
        out = publish_outputs(conn, run_id, tree, inp, n_sims=1200)
    try:
        rep = build_report(engine, 2020, "senate", SENATE_AS_OF, tmp_path / "senate")
        top = _topline(engine, run_id)
        pres_p = _topline(engine, pres_id)["p_dem_win_ec"]
        with engine.connect() as conn:
            seat_dist = pd.read_sql(
                sa.text(
                    "SELECT dem_seats, probability FROM forecast.seat_distribution WHERE run_id = :r "
                    "ORDER BY dem_seats"
                ),
                conn,
                params={"r": run_id},
            )
    finally:
        with engine.begin() as conn:
            conn.execute(
                sa.text("DELETE FROM forecast.runs WHERE run_id = ANY(:i)"), {"i": [run_id, pres_id]}
            )

    not_up = seats_not_up(engine, 2020)
    assert not_up == {"DEM": 35, "REP": 30}
    t = rep["topline"]
    assert t["kind"] == "senate" and t["seats_not_up"] == not_up and t["races"] == 35
    # P(control) and the seat distribution are the published ones
    assert t["p_control"] == pytest.approx(top["p_dem_control"], abs=1e-12)
    assert t["p_control"] == pytest.approx(out.senate.p_dem_control, abs=1e-12)
    assert t["vp_rule"] == f"independent draw, P(Dem VP) = {pres_p:.4f}"
    assert rep["distribution"]["value"].tolist() == seat_dist["dem_seats"].tolist()
    np.testing.assert_allclose(rep["distribution"]["probability"], seat_dist["probability"], atol=1e-12)
    # every seat total counts the 35 Democratic seats not up: the fewest is 35 + the fewest races won
    wide = pd.read_csv(rep["simulations_csv"], index_col="sim")
    won = (wide[ids] > 0.5).sum(axis=1)
    assert rep["distribution"]["value"].min() == 35 + won.min() >= 35
    assert rep["distribution"]["value"].max() == 35 + won.max() <= 70
    assert t["median"] == top["dem_seats_q50"] == 35 + float(np.median(won))
    assert 45 <= t["median"] <= 57  # 35 not up + about half of 35 races
    html = rep["html"].read_text()
    assert "Democrats control the Senate" in html and f"{100 * t['p_control']:.0f}%" in html
    assert "35 D and 30 R not up" in html
    assert f"P(Democratic Senate control) {100 * t['p_control']:.1f}%" in rep["topline_md"].replace("**", "")


def test_a_run_without_simulations_or_with_other_numbers_is_refused(engine, loaded, tmp_path):
    shares = {s: 0.5 for s in electoral_votes(2020)}
    bare = _publish(engine, NO_SIMS_AS_OF, shares, simulations=False)
    try:
        with pytest.raises(
            ReportError,
            match=rf"forecast run {bare} \(2020 president as of {NO_SIMS_AS_OF}.*no stored simulations",
        ):
            build_report(engine, 2020, "president", NO_SIMS_AS_OF, tmp_path / "bare")
        assert not (tmp_path / "bare" / "report.html").exists()
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM forecast.runs WHERE run_id = :r"), {"r": bare})

    # stored simulations that do not give back the published P(270+) (say, a hand-edited topline)
    run_id = _publish(engine, NO_SIMS_AS_OF, shares, seed=9)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE forecast.topline SET value = value + 0.25 WHERE run_id = :r AND metric = 'p_dem_win_ec'"
                ),
                {"r": run_id},
            )
        with pytest.raises(ReportError, match=f"run {run_id} .*published topline says"):
            build_report(engine, 2020, "president", NO_SIMS_AS_OF, tmp_path / "edited")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM forecast.runs WHERE run_id = :r"), {"r": run_id})


def test_report_cli_reads_the_stored_simulations(engine, published, tmp_path, monkeypatch, database_url):
    from forecast_pipeline.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "cli-report"
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--cycle",
            "2020",
            "--office",
            "president",
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output + str(result.exception)
    p = _topline(engine, published["run_id"])["p_dem_win_ec"]
    assert f"P(Democratic win) {100 * p:.1f}%" in result.output
    assert (out / "report.html").is_file() and pd.read_csv(out / "simulations.csv").shape == (1200, 52)

    missing = CliRunner().invoke(
        main, ["report", "--cycle", "2016", "--office", "senate", "--as-of", "2016-10-01", "--out", str(out)]
    )
    assert missing.exit_code == 1 and "no published forecast for 2016 senate" in missing.output


def test_no_published_forecast_is_an_error(engine, tmp_path):
    with pytest.raises(ReportError, match="forecast-pipeline run --cycle 2012"):
        build_report(engine, 2012, "governor", date(2012, 1, 5), tmp_path)
