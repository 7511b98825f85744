"""Backtest suite: pooling, calibration, PIT, the table, the report, and the published anchors.

Synthetic run documents (2 cycles x president x 1 horizon, five scored races) with numbers worked out
by hand; the 538 governor file is read for real when the data directory is present.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from forecast_pipeline.backtest import anchors, suite
from forecast_pipeline.backtest.metrics import score_races
from forecast_pipeline.backtest.report import write_report

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("FORECAST_DATA_DIR", REPO.parent / "shared" / "data" / "raw"))
# Missing data is a failure (conftest.data_dir says how to get it), never a silent skip.
real = pytest.mark.usefixtures("data_dir")
PNG = b"\x89PNG\r\n\x1a\n"
Z = {"q025": -1.96, "q10": -1.2816, "q25": -0.6745, "q50": 0.0, "q75": 0.6745, "q90": 1.2816, "q975": 1.96}


def race(cycle, state, p, actual, ev, pit, mean, sd=0.02, office="president"):
    r = {
        "race_id": f"{cycle}-{office}-{state}",
        "state": state,
        "district": None,
        "electoral_votes": ev,
        "p_dem_win": p,
        "dem_two_party_mean": mean,
        "crps": 0.01,
        "pit": pit,
        "actual_dem_two_party": actual,
        "n_polls": 3,
    }
    r.update({k: mean + z * sd for k, z in Z.items()})
    return r


def run_doc(cycle, races, baseline, office="president", days=1):
    table = suite._races_frame(races)
    horizon = {
        "as_of": f"{cycle}-11-0{1 + (cycle % 2)}",
        "days_before": days,
        "n_polls": 40,
        "diagnostics": {"max_rhat": 1.004, "min_ess_bulk": 812.0, "divergences": 0, "sampling_seconds": 95.0},
        "races": races,
        "scores": score_races(table, office),
        "baselines": {"poll_average": baseline, "prior": baseline, "uniform_swing": baseline},
        "model_version": "test-1",
        "config_hash": "abc",
    }
    return {
        "cycle": cycle,
        "office": office,
        "as_of": horizon["as_of"],
        "model_version": "test-1",
        "diagnostics": horizon["diagnostics"],
        "races": races,
        "scores": horizon["scores"],
        "baselines": horizon["baselines"],
        "horizons": [horizon],
        "excluded": [{"race_id": f"{cycle}-{office}-XX", "reason": "no D-vs-R result"}],
    }


# Brier terms: PA (0.95-1)^2 = .0025, TX .25^2 = .0625, WI .75^2 = .5625 (miss), OH .35^2 = .1225,
# GA .15^2 = .0225. EVs 10, 20, 30, 5, 35.
RACES_2016 = [
    race(2016, "PA", 0.95, 0.55, 10, 0.05, 0.53),
    race(2016, "TX", 0.25, 0.45, 20, 0.15, 0.47),
    race(2016, "WI", 0.75, 0.48, 30, 0.55, 0.51),
]
RACES_2012 = [
    race(2012, "OH", 0.65, 0.52, 5, 0.95, 0.51),
    race(2012, "GA", 0.15, 0.40, 35, 0.35, 0.43),
    race(2012, "ME", 0.50, None, 4, None, 0.50),
]  # no result: never scored
BASE_2016 = {
    "brier": 0.2,
    "brier_ev_weighted": 0.3,
    "rmse_two_party": 0.03,
    "coverage_80": 1.0,
    "n_races": 3,
    "n_correct": 2,
}
BASE_2012 = {
    "brier": 0.1,
    "brier_ev_weighted": 0.1,
    "rmse_two_party": 0.04,
    "coverage_80": 0.5,
    "n_races": 2,
    "n_correct": 2,
}


@pytest.fixture
def runs():
    return [run_doc(2016, RACES_2016, BASE_2016), run_doc(2012, RACES_2012, BASE_2012)]


def test_per_cycle_scores_are_the_hand_values(runs):
    assert runs[0]["scores"]["brier"] == pytest.approx(0.6275 / 3)
    assert runs[1]["scores"]["brier"] == pytest.approx(0.145 / 2)
    assert runs[1]["scores"]["n_races"] == 2


def test_pooled_scores(runs):
    pooled = suite.pool(runs)
    entry = pooled["president"]["1"]
    s = entry["scores"]
    assert entry["cycles"] == [2012, 2016]
    assert s["brier"] == pytest.approx(0.7725 / 5)
    assert s["brier_ev_weighted"] == pytest.approx(19.55 / 100)
    assert (s["n_correct"], s["n_races"]) == (4, 5)
    b = entry["baselines"]["poll_average"]
    assert b["brier"] == pytest.approx((3 * 0.2 + 2 * 0.1) / 5)
    assert b["rmse_two_party"] == pytest.approx(math.sqrt((3 * 0.03**2 + 2 * 0.04**2) / 5))
    assert b["coverage_80"] == pytest.approx(0.8)
    assert b["brier_ev_weighted"] == pytest.approx((60 * 0.3 + 40 * 0.1) / 100)  # EV totals 60 and 40
    assert (b["n_correct"], b["n_races"]) == (4, 5)


def test_pooling_score_dicts_matches_rescoring_for_mean_scores(runs):
    pooled = suite.pool_score_dicts([(r["scores"], suite._total_ev(r["races"])) for r in runs])
    rescored = suite.pool(runs)["president"]["1"]["scores"]
    for name in ("brier", "brier_ev_weighted", "rmse_two_party", "mae_margin", "coverage_80", "log_loss"):
        assert pooled[name] == pytest.approx(rescored[name]), name


def test_calibration_bins(runs):
    table = suite.calibration(runs, "president", 1, bins=5)
    assert [r["n"] for r in table] == [1, 1, 0, 2, 1]
    assert table[3]["mean_predicted"] == pytest.approx(0.70)
    assert table[3]["observed_rate"] == pytest.approx(0.5)
    assert table[2]["observed_rate"] is None
    assert sum(r["n"] for r in suite.calibration(runs, "president", "1")) == 5


def test_pit_histogram(runs):
    assert suite.pit_histogram(runs, "president", 1, bins=10) == [1, 1, 0, 1, 0, 1, 0, 0, 0, 1]
    assert suite.pit_histogram(runs, "president", 1, bins=5) == [2, 1, 1, 0, 1]


def test_suite_document_is_json_and_has_anchors(runs):
    doc = suite.suite_document(runs)
    assert doc["fte_governor"] == []
    assert {(a["cycle"], a["office"]) for a in doc["anchors"]} == {(2012, "president"), (2016, "president")}
    assert doc["pit"]["president"]["1"] == [1, 1, 0, 1, 0, 1, 0, 0, 0, 1]
    back = json.loads(json.dumps(doc))
    assert suite.pool(back["runs"]) == back["pooled"]


def test_format_table_shows_ours_baselines_and_anchors(runs):
    text = suite.format_table(suite.suite_document(runs))
    assert "0.0508" in text and "0.0726" in text and "0.0272" in text and "48/51" in text  # Economist 2016
    assert "0.0193" in text  # Economist 2012
    assert "0.2092" in text and "2/3" in text  # ours, 2016
    assert "0.0725" in text  # ours, 2012
    assert "0.1545" in text and "0.1955" in text and "4/5" in text  # pooled
    assert "baseline poll_average" in text and "0.0344" in text  # pooled baseline RMSE
    assert "published: Economist backtest" in text and "retrospective" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    assert len({ln.count("|") for ln in lines}) == 1  # every row has the same columns


def test_write_report(runs, tmp_path):
    path = write_report(suite.suite_document(runs), tmp_path / "rep")
    assert path == tmp_path / "rep" / "report.md"
    text = path.read_text()
    for needle in (
        "0.0508",
        "calibration.png",
        "pit.png",
        "errors.png",
        "2016-president-XX",
        "no D-vs-R result",
        "1.004",
        "812",
        "Calibration",
        "PIT",
    ):
        assert needle in text, needle
    for name in ("calibration.png", "pit.png", "errors.png"):
        data = (tmp_path / "rep" / name).read_bytes()
        assert data[:8] == PNG and 1_000 < len(data) < 400_000, name


def test_published_for():
    rows = anchors.published_for(2016, "president")
    vals = {(r["system"], r["metric"]): r["value"] for r in rows}
    assert vals[("Economist backtest", "brier")] == 0.0508
    assert vals[("Economist backtest", "n_correct")] == 48
    fte20 = {(r["system"], r["metric"]): r for r in anchors.published_for(2020, "president")}
    assert fte20[("538 (final)", "coverage_80")]["value"] == 0.92
    assert "MARGIN" in fte20[("538 (final)", "coverage_80")]["note"]
    assert fte20[("538 raw polling average", "rmse_two_party")]["value"] == 0.0346
    gov = {r["system"]: r["value"] for r in anchors.published_for(2018, "governor") if r["metric"] == "brier"}
    assert gov == {"538 Lite": 0.079, "538 Classic": 0.070, "538 Deluxe": 0.068}
    assert anchors.published_for(2014, "senate") == []
    assert all(
        set(r) == {"source", "system", "cycle", "office", "metric", "value", "note"}
        for r in anchors.PUBLISHED
    )
    assert all("ANCHORS.md (b)" in r["note"] for r in anchors.PUBLISHED)


@real
def test_fte_governor_2018_classic_matches_anchors():
    fte = anchors.fte_governor_forecasts(DATA, 2018, "classic")
    assert len(fte) == 36 and fte.attrs["version"] == "classic" and fte.attrs["skipped"] == []
    assert set(fte.columns) >= {
        "state",
        "special",
        "p_dem_win",
        "dem_two_party_projected",
        "actual_dem_two_party",
    }
    b = float(np.mean((fte["p_dem_win"] - fte["dem_won"]) ** 2))
    assert b == pytest.approx(0.070, abs=0.002)
    assert float(np.mean((1 - fte["p_winner"]) ** 2)) == pytest.approx(0.070, abs=0.002)
    fl = fte.set_index("state").loc["FL"]
    assert fl["p_dem_win"] == pytest.approx(0.77216) and fl["dem_won"] == 0
    assert fl["dem_two_party_projected"] == pytest.approx(50.91256 / (50.91256 + 46.73019))
    # Lite and Deluxe, and 2022, against ANCHORS b3
    for cycle, version, value in ((2018, "lite", 0.079), (2018, "deluxe", 0.068), (2022, "classic", 0.030)):
        f = anchors.fte_governor_forecasts(DATA, cycle, version)
        assert float(np.mean((1 - f["p_winner"]) ** 2)) == pytest.approx(value, abs=0.002), (cycle, version)


@real
def test_fte_governor_2010_single_version_is_used_and_recorded():
    fte = anchors.fte_governor_forecasts(DATA, 2010, "classic")
    assert fte.attrs["version"] == anchors.UNLABELLED_VERSION
    assert len(fte) == 37
    assert float(np.mean((1 - fte["p_winner"]) ** 2)) == pytest.approx(0.036, abs=0.002)
    assert fte["dem_two_party_projected"].isna().all()
    with pytest.raises(ValueError):
        anchors.fte_governor_forecasts(DATA, 2018, "turbo")
    with pytest.raises(ValueError):
        anchors.fte_governor_forecasts(DATA, 2014)


@real
def test_score_fte_on_our_races():
    fte = anchors.fte_governor_forecasts(DATA, 2022, "classic")
    ours = [
        {
            "race_id": f"2022-governor-{r.state}",
            "state": r.state,
            "actual_dem_two_party": r.actual_dem_two_party,
        }
        for r in fte.itertuples()
    ]
    ours += [
        {"race_id": "2022-governor-DC", "state": "DC", "actual_dem_two_party": 0.9},
        {"race_id": "2022-governor-VT", "state": "VT", "actual_dem_two_party": None},
    ]
    s = anchors.score_fte_on_races(fte, ours)
    assert s["n_races"] == 36 and s["unmatched"] == ["2022-governor-DC"] and s["outcome_disagreements"] == 0
    assert s["brier"] == pytest.approx(float(np.mean((fte["p_dem_win"] - fte["dem_won"]) ** 2)))
    assert s["brier"] == pytest.approx(0.030, abs=0.002)
    assert 0.005 < s["rmse_two_party"] < 0.05


@real
def test_suite_scores_538_on_our_governor_races():
    fl = race(2018, "FL", 0.40, 0.4970, None, 0.3, 0.49, office="governor")
    ny = race(2018, "NY", 0.99, 0.6000, None, 0.6, 0.60, office="governor")
    doc = suite.suite_document([run_doc(2018, [fl, ny], BASE_2012, office="governor")], data_dir=DATA)
    (entry,) = doc["fte_governor"]
    fte = anchors.fte_governor_forecasts(DATA, 2018).set_index("state")
    expected = (fte.loc["FL", "p_dem_win"] ** 2 + (1 - fte.loc["NY", "p_dem_win"]) ** 2) / 2
    assert entry["version"] == "classic" and entry["scores"]["n_races"] == 2
    assert entry["scores"]["brier"] == pytest.approx(expected)
    text = suite.format_table(doc)
    assert "538 classic on our races" in text and "0.0700" in text  # published 2018 Classic beside
    assert f"{expected:.4f}" in text
