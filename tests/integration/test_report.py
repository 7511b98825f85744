"""The forecast report: built from published rows and a simulations table, rendered in headless
Chromium with the network cut off (topline and map present; screenshot kept), and the CLI command."""

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from forecast_pipeline.model_input import visible_polls
from forecast_pipeline.races import electoral_votes
from forecast_pipeline.report import simulate as sim
from forecast_pipeline.report.build import ReportError, build_report
from tests import browser

BEFORE, AS_OF = date(2020, 10, 21), date(2020, 10, 28)  # dates no other test publishes


def _publish(engine, as_of: date, shares: dict[str, float], posterior_path: str | None = None) -> int:
    """A published run with one row per state, as publish_forecast writes them."""
    with engine.begin() as conn:
        run_id = conn.execute(
            sa.text(
                "INSERT INTO forecast.runs (cycle, office, as_of, model_type, model_version, config_hash, status,"
                " max_rhat, min_ess_bulk, divergences, sampling_seconds, n_polls, posterior_path) VALUES"
                " (2020, 'president', :d, 'state_poll_model', 'test', 'abc123', 'published', 1.01, 400, 0, 12.5,"
                " 100, :p) RETURNING run_id"
            ),
            {"d": as_of, "p": posterior_path},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO forecast.race_forecasts (run_id, race_id, state, p_dem_win, dem_two_party_mean,"
                " dem_two_party_q10, dem_two_party_q50, dem_two_party_q90, n_polls) VALUES"
                " (:r, :race, :s, :p, :m, :m - 0.03, :m, :m + 0.03, 3)"
            ),
            [
                {
                    "r": run_id,
                    "race": f"2020-president-{s}",
                    "s": s,
                    "m": m,
                    "p": float(np.clip(0.5 + (m - 0.5) * 12, 0.001, 0.999)),
                }
                for s, m in shares.items()
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO forecast.race_trend (run_id, race_id, day, dem_two_party_mean, dem_two_party_q10,"
                " dem_two_party_q90) VALUES (:r, :race, :d, :m, :m - 0.02, :m + 0.02)"
            ),
            [
                {"r": run_id, "race": f"2020-president-{s}", "d": d, "m": m}
                for s, m in shares.items()
                for d in pd.date_range("2020-09-01", as_of).date
            ],
        )
    return run_id


def _simulations(shares: dict[str, float], n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    national = rng.normal(0, 0.03, n)
    rows = {s: m + national + rng.normal(0, 0.02, n) for s, m in shares.items()}
    return pd.DataFrame(
        [
            {"draw": d, "race_key": f"2020-president-{s}", "share_dem": v[d]}
            for s, v in rows.items()
            for d in range(n)
        ]
    )


@pytest.fixture()
def published(engine, loaded):
    evs = electoral_votes(2020)
    rng = np.random.default_rng(7)
    before = {s: float(np.clip(0.5 + rng.normal(0, 0.09), 0.2, 0.8)) for s in sorted(evs)}
    before["CA"], before["WY"], before["GA"] = 0.65, 0.30, 0.50
    after = {**before, "GA": 0.53, "PA": before["PA"] + 0.04}
    ids = [_publish(engine, BEFORE, before), _publish(engine, AS_OF, after)]
    yield after
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM forecast.runs WHERE run_id = ANY(:ids)"), {"ids": ids})


def test_report_numbers_and_offline_rendering(engine, published, tmp_path):
    sims = _simulations(published)
    rep = build_report(engine, 2020, "president", AS_OF, tmp_path / "report", simulations=sims)

    # Topline = electoral votes counted draw by draw from the same simulations.
    evs = electoral_votes(2020)
    wide = sims.pivot(index="draw", columns="race_key", values="share_dem")
    dem_ev = (wide > 0.5).to_numpy(float) @ np.array([evs[c.split("-")[-1]] for c in wide.columns])
    assert rep["topline"]["p_dem"] == pytest.approx(float((dem_ev >= 270).mean()))
    assert rep["topline"]["total"] == 538 and rep["n_races"] == 51
    assert rep["distribution"]["probability"].sum() == pytest.approx(1.0)
    assert len(pd.read_csv(rep["simulations_csv"])) == len(sims)
    races = pd.read_csv(rep["races_csv"])
    assert len(races) == 51 and races.set_index("state").loc["GA", "p_dem_win"] == pytest.approx(0.86)

    html = rep["html"].read_text()
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
    assert "Democrat wins" in dom and f"{100 * rep['topline']['p_dem']:.0f}%" in dom
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


def test_report_cli_reads_the_posterior_of_the_run(engine, published, tmp_path, monkeypatch, database_url):
    import xarray as xr

    from forecast_pipeline.cli import main
    from forecast_pipeline.models.poll_model import MODEL_TYPE, MODEL_VERSION
    from forecast_pipeline.models.summarize import save_posterior

    # Point the published run at a posterior file (chain x draw x race) made for it.
    sims = _simulations(published, n=300, seed=3)
    wide = sims.pivot(index="draw", columns="race_key", values="share_dem")
    post = xr.Dataset(
        {"election_day_share": (("chain", "draw", "race"), wide.to_numpy().reshape(2, 150, -1))},
        coords={"race": list(wide.columns)},
    )
    tree = xr.DataTree.from_dict({"posterior": post})
    tree.attrs.update(
        model_type=MODEL_TYPE,
        model_version=MODEL_VERSION,
        config_hash="abc123",
        cycle=2020,
        office="president",
        as_of=AS_OF.isoformat(),
    )
    path = save_posterior(tree, tmp_path / "posterior.nc")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE forecast.runs SET posterior_path = :p WHERE cycle = 2020 AND "
                "office = 'president' AND as_of = :d AND status = 'published'"
            ),
            {"p": str(path), "d": AS_OF},
        )
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
    ev = sim.electoral_votes_by_draw(sims, {r: electoral_votes(2020)[r.split("-")[-1]] for r in wide.columns})
    assert f"P(Democratic win) {100 * (ev >= 270).mean():.1f}%" in result.output
    assert (out / "report.html").is_file() and len(pd.read_csv(out / "simulations.csv")) == len(sims)

    missing = CliRunner().invoke(
        main, ["report", "--cycle", "2016", "--office", "senate", "--as-of", "2016-10-01", "--out", str(out)]
    )
    assert missing.exit_code == 1 and "no published forecast for 2016 senate" in missing.output


def test_no_published_forecast_is_an_error(engine, tmp_path):
    with pytest.raises(ReportError, match="forecast-pipeline run --cycle 2012"):
        build_report(engine, 2012, "governor", date(2012, 1, 5), tmp_path)
