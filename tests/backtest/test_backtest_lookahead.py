"""Backtest time travel: an extreme poll dated after as-of changes nothing; dated before, it moves the race."""

from datetime import date

import pandas as pd
import pytest

from forecast_pipeline.backtest.run import run_backtest
from forecast_pipeline.ingest import load_files
from forecast_pipeline.models.config import SamplerConfig

RESULTS = "fivethirtyeight-election-results/election_results_presidential.csv"
POLLS = "simonw-fivethirtyeight-polls/president_polls.csv"
AS_OF = date(2020, 10, 15)
SAMPLER = SamplerConfig(draws=300, tune=300, chains=2, seed=7)


def _write_polls(tmp_path, data_dir, extreme_end: str | None) -> None:
    """Real 538 polls from the last three weeks before as-of, plus optionally one extreme PA poll."""
    frame = pd.read_csv(data_dir / POLLS, dtype=str, keep_default_na=False)
    end = pd.to_datetime(frame["end_date"], format="%m/%d/%y")
    window = frame[(end >= "2020-09-24") & (end <= "2020-10-14")]
    parts = [window]
    if extreme_end:
        pa = frame[(frame["state"] == "Pennsylvania") & frame["candidate_party"].isin(["DEM", "REP"])]
        poll = pa[pa["question_id"] == pa["question_id"].iloc[0]].copy()
        poll["poll_id"], poll["question_id"] = "999999", "999999"
        poll["start_date"], poll["end_date"] = "10/10/20", extreme_end
        poll["created_at"] = extreme_end + " 08:00"
        poll["sample_size"] = "3000"
        poll.loc[poll["candidate_party"] == "DEM", "pct"] = "75"
        poll.loc[poll["candidate_party"] == "REP", "pct"] = "25"
        parts.append(poll)
    (tmp_path / "simonw-fivethirtyeight-polls").mkdir(exist_ok=True)
    pd.concat(parts).to_csv(tmp_path / POLLS, index=False)


def _pa_forecast(engine, tmp_path, data_dir, extreme_end):
    _write_polls(tmp_path, data_dir, extreme_end)
    load_files(engine, tmp_path, [RESULTS, POLLS])
    doc = run_backtest(engine, 2020, "president", [(AS_OF, 19)], SAMPLER, log=lambda m: None)
    return {r["race_id"]: r for r in doc["races"]}, doc


@pytest.fixture()
def results_dir(tmp_path, data_dir):
    (tmp_path / "fivethirtyeight-election-results").mkdir()
    (tmp_path / RESULTS).write_bytes((data_dir / RESULTS).read_bytes())
    return tmp_path


def test_extreme_poll_after_as_of_changes_nothing_before_changes_pa(fresh_engine, results_dir, data_dir):
    base, base_doc = _pa_forecast(fresh_engine, results_dir, data_dir, None)
    after, after_doc = _pa_forecast(fresh_engine, results_dir, data_dir, "10/16/20")
    before, before_doc = _pa_forecast(fresh_engine, results_dir, data_dir, "10/14/20")

    assert after_doc["horizons"][0]["n_polls"] == base_doc["horizons"][0]["n_polls"]
    assert before_doc["horizons"][0]["n_polls"] == base_doc["horizons"][0]["n_polls"] + 1
    pa = "2020-president-PA"
    # Same visible data, same seed: the forecast is the same to the last digit.
    for race in base:
        assert after[race]["dem_two_party_mean"] == pytest.approx(base[race]["dem_two_party_mean"], abs=1e-12)
        assert after[race]["p_dem_win"] == pytest.approx(base[race]["p_dem_win"], abs=1e-12)
    assert before[pa]["dem_two_party_mean"] > base[pa]["dem_two_party_mean"] + 0.01
    assert before[pa]["n_polls"] == base[pa]["n_polls"] + 1
