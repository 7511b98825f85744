"""The CI backtest gate: 2012 and 2016 president at 7 days out, short chains, against the reference."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from forecast_pipeline.backtest.gate import compare, load_reference, slice_key
from forecast_pipeline.backtest.runner import run_backtest_partition

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
def fresh_scores(loaded, engine, database_url):
    """Each slice through the Dagster backtest asset (partition cycle x office), as CI and the UI run it."""
    ref = load_reference(REFERENCE)
    s = ref["settings"]
    scores = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", database_url)
        mp.delenv("DAGSTER_HOME", raising=False)
        for key in ref["slices"]:
            cycle, office, days = key.split("-")
            doc = run_backtest_partition(
                int(cycle),
                office,
                [int(days)],
                None,
                "nutpie",
                s["draws"],
                s["tune"],
                s["chains"],
                s["seed"],
                log=lambda m: None,
            )
            scores[slice_key(int(cycle), office, int(days))] = doc["horizons"][0]["scores"]
            scores[key + "/baselines"] = doc["horizons"][0]["baselines"]
            scores[key + "/diagnostics"] = doc["horizons"][0]["diagnostics"]
    print(json.dumps(scores, indent=1))
    return scores


def test_backtest_gate(fresh_scores):
    ref = load_reference(REFERENCE)
    assert compare(fresh_scores, ref) == []


def test_slice_is_complete_and_sampled(fresh_scores):
    ref = load_reference(REFERENCE)
    for key in ref["slices"]:
        assert fresh_scores[key]["n_races"] == 51
        assert set(fresh_scores[key + "/baselines"]) == {"poll_average", "prior", "uniform_swing"}
        diag = fresh_scores[key + "/diagnostics"]
        assert diag["divergences"] == 0 and diag["max_rhat_election_day_share"] < 1.05


def test_backtests_are_stored(fresh_scores, engine):
    ref = load_reference(REFERENCE)
    with engine.connect() as conn:
        for key in ref["slices"]:
            cycle, office, days = key.split("-")
            row = conn.execute(
                sa.text(
                    "SELECT backtest_id, n_polls FROM forecast.backtest_runs WHERE cycle = :c AND office = :o "
                    "AND days_before = :d ORDER BY backtest_id DESC LIMIT 1"
                ),
                {"c": int(cycle), "o": office, "d": int(days)},
            ).one()
            races = conn.execute(
                sa.text("SELECT count(*) FROM forecast.backtest_races WHERE backtest_id = :b"),
                {"b": row.backtest_id},
            ).scalar_one()
            forecasters = conn.execute(
                sa.text(
                    "SELECT array_agg(DISTINCT forecaster ORDER BY forecaster) FROM forecast.backtest_scores "
                    "WHERE backtest_id = :b"
                ),
                {"b": row.backtest_id},
            ).scalar_one()
            brier = conn.execute(
                sa.text(
                    "SELECT value FROM forecast.backtest_scores WHERE backtest_id = :b AND forecaster = 'model' "
                    "AND metric = 'brier'"
                ),
                {"b": row.backtest_id},
            ).scalar_one()
            assert races == 51 and row.n_polls > 100
            assert forecasters == ["model", "poll_average", "prior", "uniform_swing"]
            assert brier == pytest.approx(fresh_scores[key]["brier"])
