"""No poll dated after the as-of date reaches the model."""

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from forecast_pipeline.ingest import load_files
from forecast_pipeline.model_input import build_model_input
from forecast_pipeline.models.input import ModelInput

RESULTS = "fivethirtyeight-election-results/election_results_presidential.csv"
POLLS = "simonw-fivethirtyeight-polls/president_polls.csv"


@pytest.mark.parametrize("as_of", [date(2016, 7, 1), date(2016, 9, 15), date(2016, 11, 3)])
def test_real_data_as_of_filter(loaded, engine, as_of):
    if as_of < date(2016, 7, 31):
        # before Q2 GDP is published the presidential prior cannot be built (no look-ahead) ...
        with pytest.raises(ValueError, match="no look-ahead"):
            build_model_input(engine, 2016, "president", as_of)
    # ... and the polls are filtered the same way with or without it
    inp = build_model_input(engine, 2016, "president", as_of, with_structure=as_of >= date(2016, 7, 31))
    assert len(inp.polls) > 50
    assert inp.polls["end_date"].max().date() <= as_of
    with engine.connect() as conn:
        later = conn.execute(
            sa.text(
                "SELECT count(*) FROM core.polls p JOIN core.races r USING (race_id) "
                "WHERE r.cycle = 2016 AND r.office = 'president' AND p.end_date > :d"
            ),
            {"d": as_of},
        ).scalar_one()
    assert later > 0  # the database does hold later polls; the filter is what hides them
    late_ids = set(inp.polls["poll_id"]) & set(_poll_keys_after(engine, as_of))
    assert late_ids == set()


def _poll_keys_after(engine, as_of):
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT poll_key FROM core.polls WHERE end_date > :d"), {"d": as_of})
            .scalars()
            .all()
        )


def _poll_file(tmp_path, data_dir, end_date: str, created_at: str) -> None:
    """A one-poll 538 file (real header and a real row) with the dates rewritten."""
    frame = pd.read_csv(data_dir / POLLS, dtype=str, keep_default_na=False, nrows=400)
    pick = frame[(frame["state"] == "Pennsylvania") & frame["candidate_party"].isin(["DEM", "REP"])]
    poll = pick[pick["question_id"] == pick["question_id"].iloc[0]].copy()
    poll["start_date"], poll["end_date"], poll["created_at"] = "10/1/20", end_date, created_at
    poll["poll_id"], poll["question_id"] = "999999", "999999"
    poll.loc[poll["candidate_party"] == "DEM", "pct"] = "90"  # an extreme poll, easy to spot
    poll.loc[poll["candidate_party"] == "REP", "pct"] = "10"
    (tmp_path / "simonw-fivethirtyeight-polls").mkdir(exist_ok=True)
    poll.to_csv(tmp_path / POLLS, index=False)


@pytest.mark.parametrize(
    "end_date, created_at, visible",
    [
        ("10/16/20", "10/16/20 09:00", False),  # ended the day after as-of
        ("10/15/20", "10/15/20 22:00", True),  # ended and published on as-of
        ("10/14/20", "10/16/20 09:00", False),  # ended before, published after as-of
    ],
)
def test_poll_after_as_of_is_invisible(fresh_engine, data_dir, tmp_path, end_date, created_at, visible):
    (tmp_path / "fivethirtyeight-election-results").mkdir()
    (tmp_path / RESULTS).write_bytes((data_dir / RESULTS).read_bytes())
    _poll_file(tmp_path, data_dir, end_date, created_at)
    load_files(fresh_engine, tmp_path, [RESULTS, POLLS])
    inp = build_model_input(fresh_engine, 2020, "president", date(2020, 10, 15))
    pa = inp.polls[inp.polls["race_id"] == "2020-president-PA"]
    assert (len(pa) == 1) is visible
    if visible:
        assert pa["dem_pct"].iloc[0] == 90.0


def test_model_input_refuses_late_polls():
    polls = pd.DataFrame(
        {
            "poll_id": ["a"],
            "race_id": ["2020-president-PA"],
            "is_national": [False],
            "pollster": ["X"],
            "population": ["lv"],
            "end_date": pd.to_datetime(["2020-10-20"]),
            "sample_size": [800.0],
            "sample_size_imputed": [False],
            "dem_pct": [50.0],
            "rep_pct": [45.0],
        }
    )
    races = pd.DataFrame(
        {
            "race_id": ["2020-president-PA"],
            "state": ["PA"],
            "district": [None],
            "prior_dem_share": [0.49],
            "turnout_weight": [1.0],
            "electoral_votes": [20],
        }
    )
    with pytest.raises(ValueError, match="look-ahead"):
        ModelInput(2020, "president", date(2020, 10, 15), date(2020, 11, 3), races, polls, 0.51)
