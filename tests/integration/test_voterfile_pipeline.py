"""Voter file in PostgreSQL: the SQL aggregations against pandas, and the Dagster assets end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from forecast_pipeline.voterfile import aggregate, generator


def _load(engine, data_dir, states=("DE", "WY"), fraction=0.01, seed=5):
    return generator.generate_to_db(engine, data_dir, 2012, fraction, seed, list(states))


def test_generate_loads_every_row_and_replaces_on_rerun(fresh_engine, data_dir):
    res = _load(fresh_engine, data_dir)
    with fresh_engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT state_cd, count(*) FROM voterfile.voters GROUP BY 1 ORDER BY 1")
        ).all()
        h = conn.execute(sa.text("SELECT count(*) FROM voterfile.vote_history")).scalar_one()
        runs = conn.execute(
            sa.text("SELECT state_cd, voters FROM voterfile.generation_runs ORDER BY 1")
        ).all()
    assert [(s, c) for s, c in n] == [(r.state, r.voters) for r in res]
    assert h == sum(r.history_rows for r in res)
    assert [tuple(r) for r in runs] == [(r.state, r.voters) for r in res]
    again = _load(fresh_engine, data_dir)  # same seed: same file, replaced not appended
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM voterfile.voters")).scalar_one() == sum(
            r.voters for r in again
        )
    assert [r.voters for r in again] == [r.voters for r in res]


def test_sql_aggregations_match_pandas(fresh_engine, data_dir):
    _load(fresh_engine, data_dir)
    results = aggregate.aggregate(fresh_engine, 2012)
    assert {r.table for r in results} == {"composition_state", "composition_county"}
    with fresh_engine.connect() as conn:
        v = pd.read_sql(sa.text("SELECT * FROM voterfile.voters WHERE cycle = 2012"), conn)
        state = pd.read_sql(sa.text("SELECT * FROM voterfile.composition_state WHERE cycle = 2012"), conn)
        county = pd.read_sql(sa.text("SELECT * FROM voterfile.composition_county WHERE cycle = 2012"), conn)
    v["race_eth"] = np.where(
        v["ethnic_code"] == "HL",
        "Hispanic",
        np.where(v["race_code"] == "W", "White", np.where(v["race_code"] == "B", "Black", "Other")),
    )
    age = 2012 - v["birth_year"]
    v["age4"] = np.select([age < 30, age < 45, age < 65], [1, 2, 3], 4)
    v["sex"] = v["gender_code"].map({"M": "Male", "F": "Female"})
    v["ts"] = v["turnout_score"].astype(float)
    keys = ["state_cd", "race_eth", "educ_cd", "age4", "sex"]
    want = v.groupby(keys).agg(registered=("voter_id", "size"), expected_voters=("ts", "sum")).reset_index()
    want["share_of_state"] = want["expected_voters"] / want.groupby("state_cd")["expected_voters"].transform(
        "sum"
    )
    got = state.assign(age4=state["age4"].astype(int)).merge(want, on=keys, suffixes=("", "_pd"), how="outer")
    assert len(got) == len(want) == len(state)
    assert (got["registered"] == got["registered_pd"]).all()
    np.testing.assert_allclose(got["expected_voters"], got["expected_voters_pd"], rtol=1e-5)
    np.testing.assert_allclose(got["share_of_state"], got["share_of_state_pd"], rtol=1e-5)

    c = v.groupby(["state_cd", "county_id"]).agg(
        registered=("voter_id", "size"),
        active=("status_cd", lambda s: (s == "A").sum()),
        expected_voters=("ts", "sum"),
        dem=("party_cd", lambda s: (s == "DEM").sum()),
    )
    c["share_black"] = (
        v[v["race_eth"] == "Black"]
        .groupby(["state_cd", "county_id"])["ts"]
        .sum()
        .reindex(c.index, fill_value=0)
        / c["expected_voters"]
    )
    gotc = county.set_index(["state_cd", "county_id"]).loc[c.index]
    assert len(county) == len(c) == 3 + 23  # Delaware's 3 counties, Wyoming's 23
    assert (gotc["registered"] == c["registered"]).all() and (gotc["active"] == c["active"]).all()
    assert (gotc["dem_registered"] == c["dem"]).all()
    np.testing.assert_allclose(gotc["expected_voters"], c["expected_voters"], rtol=1e-5)
    np.testing.assert_allclose(gotc["share_black"], c["share_black"], rtol=1e-4, atol=1e-7)
    shares = gotc[["share_white", "share_black", "share_hispanic", "share_other"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0, rtol=1e-5)


@pytest.mark.slow
def test_voterfile_assets_materialize_and_feed_the_forecast(fresh_engine, data_dir):
    """The Dagster group on a small file: voters -> compositions (blocking check) -> MRP -> lean."""
    import dagster as dg

    from assets.definitions import VOTERFILE_ASSETS, VOTERFILE_CHECKS
    from assets.resources import Database
    from assets.voterfile import VoterFileSettings
    from forecast_pipeline.voterfile.mrp import mrp_state_lean

    settings = VoterFileSettings(
        cycles=[2012],
        fraction=0.002,
        seed=3,
        states=["DE", "NC", "WY"],
        sampler="nutpie",
        draws=150,
        tune=150,
        chains=2,
        sample_size=2500,
    )
    url = fresh_engine.url.render_as_string(hide_password=False)
    result = dg.materialize(
        [*VOTERFILE_ASSETS, *VOTERFILE_CHECKS],
        resources={"database": Database(url=url), "voterfile": settings},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    lean = mrp_state_lean(fresh_engine, 2012)
    assert list(lean["state"]) == ["DE", "NC", "WY"]
    assert (lean["q10"] < lean["dem_two_party_mean"]).all() and (
        lean["dem_two_party_mean"] < lean["q90"]
    ).all()
    by_state = lean.set_index("state")["dem_two_party_mean"]
    assert by_state["DE"] > by_state["NC"] > by_state["WY"]  # 2012: DE 0.60, NC 0.49, WY 0.29
    with fresh_engine.connect() as conn:
        run = conn.execute(sa.text("SELECT n_states_scored, rmse_mrp, sampler FROM forecast.mrp_runs")).one()
    assert run.sampler == "nutpie" and run.n_states_scored == 3 and run.rmse_mrp < 0.10
    with pytest.raises(LookupError):
        mrp_state_lean(fresh_engine, 2016)
