"""The CI backtest gate: 2012 and 2016 president at 7 days out, short chains, against the reference."""

import json
from pathlib import Path

import pytest

from forecast_pipeline.backtest.gate import compare, load_reference, slice_key
from forecast_pipeline.backtest.run import as_of_dates, run_backtest
from forecast_pipeline.models.config import SamplerConfig

REFERENCE = Path(__file__).with_name("reference_scores.json")


def test_gate_flags_worse_scores():
    ref = load_reference(REFERENCE)
    good = {k: dict(v) for k, v in ref["slices"].items()}
    assert compare(good, ref) == []
    broken = {k: {**v, "brier": v["brier"] + 2 * ref["tolerance"]["brier"]} for k, v in good.items()}
    failures = compare(broken, ref)
    assert len(failures) == len(good) and all("brier" in f for f in failures)
    worse_rmse = {k: {**v, "rmse_two_party": v["rmse_two_party"] + 0.05} for k, v in good.items()}
    assert all("rmse_two_party" in f for f in compare(worse_rmse, ref))
    assert compare({}, ref)  # missing slices fail


@pytest.fixture(scope="module")
def fresh_scores(loaded, engine):
    ref = load_reference(REFERENCE)
    s = ref["settings"]
    sampler = SamplerConfig(draws=s["draws"], tune=s["tune"], chains=s["chains"], seed=s["seed"])
    scores = {}
    for key in ref["slices"]:
        cycle, office, days = key.split("-")
        doc = run_backtest(engine, int(cycle), office, as_of_dates(int(cycle), days_before=[int(days)]), sampler)
        scores[slice_key(int(cycle), office, int(days))] = doc["horizons"][0]["scores"]
        scores[key + "/baselines"] = doc["horizons"][0]["baselines"]
    print(json.dumps(scores, indent=1))
    return scores


def test_backtest_gate(fresh_scores):
    ref = load_reference(REFERENCE)
    assert compare(fresh_scores, ref) == []


def test_model_beats_poll_average_on_the_slice(fresh_scores):
    ref = load_reference(REFERENCE)
    for key in ref["slices"]:
        ours, base = fresh_scores[key], fresh_scores[key + "/baselines"]["poll_average"]
        assert ours["brier"] <= base["brier"] + 0.005, key
        assert ours["n_races"] == 51
