"""The voter-file generator against its census inputs: marginals, determinism, calibration, raking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline.voterfile import behaviour, census, generator

FRACTION = 0.02
STATES = ["DE", "NC", "WY"]
# Stated tolerance: each one-way marginal share of the generated registrants (race, education, age,
# sex, county) is within 1 percentage point of the share implied by the census cells x P(registered | cell);
# total people within 0.1% of pop x fraction; vote history within 2% of the certified turnout.
SHARE_TOL = 0.01


@pytest.fixture(scope="module")
def generated(data_dir):
    out = {}
    for state in STATES:
        res = generator.StateResult(state)
        chunks = list(generator.generate_state(data_dir, 2012, state, FRACTION, 11, result=res))
        out[state] = (res, pd.concat([c.voters for c in chunks]), pd.concat([c.history for c in chunks]))
    return out


def _race_eth(v: pd.DataFrame) -> pd.Series:
    return np.where(
        v["ethnic_code"] == "HL",
        "Hispanic",
        np.where(v["race_code"] == "W", "White", np.where(v["race_code"] == "B", "Black", "Other")),
    )


def _expected_registrants(data_dir, state: str) -> pd.DataFrame:
    cells = census.census_frame(data_dir, 2012).cells
    cells = cells[cells["state"] == state]
    model = behaviour.fit_behaviour(data_dir)
    idx = model.cell_index()
    rows = [idx[k] for k in cells[["race_eth", "edu5", "age4", "sex"]].itertuples(index=False, name=None)]
    p_reg = (model.class_probs[rows] * behaviour.REGISTERED).sum(axis=1)
    return cells.assign(expected=cells["pop"].to_numpy() * FRACTION * p_reg)


def test_cell_counts_are_within_one_person_of_the_census(data_dir):
    pop = census.census_frame(data_dir, 2012).cells["pop"].to_numpy()
    counts = generator.cell_counts(pop, FRACTION, np.random.default_rng(1))
    assert np.all(np.abs(counts - pop * FRACTION) < 1.0)
    assert abs(counts.sum() - pop.sum() * FRACTION) / (pop.sum() * FRACTION) < 1e-4


@pytest.mark.parametrize("state", STATES)
def test_people_and_registrant_marginals_match_census(generated, data_dir, state):
    res, voters, _ = generated[state]
    exp = _expected_registrants(data_dir, state)
    assert abs(res.people - exp["pop"].sum() * FRACTION) <= max(0.001 * exp["pop"].sum() * FRACTION, 10)
    assert res.voters == len(voters)
    assert abs(len(voters) - exp["expected"].sum()) / exp["expected"].sum() < 0.02
    age = np.select(
        [
            2012 - voters["birth_year"] < 30,
            2012 - voters["birth_year"] < 45,
            2012 - voters["birth_year"] < 65,
        ],
        [1, 2, 3],
        4,
    )
    gen = pd.DataFrame(
        {
            "race_eth": _race_eth(voters),
            "edu5": voters["educ_cd"].to_numpy(),
            "age4": age,
            "sex": np.where(voters["gender_code"] == "M", "Male", "Female"),
        }
    )
    for key in ["race_eth", "edu5", "age4", "sex"]:
        got = gen[key].value_counts(normalize=True)
        want = exp.groupby(key)["expected"].sum() / exp["expected"].sum()
        diff = (got.reindex(want.index, fill_value=0) - want).abs().max()
        assert diff < SHARE_TOL, f"{state} {key}: max share difference {diff:.4f}"


def test_counties_follow_the_county_tables(generated, data_dir):
    _, voters, _ = generated["NC"]
    shares = census.county_shares(data_dir)
    white = shares[(shares["state"] == "NC") & (shares["race_eth"] == "White")].set_index("county_fips")[
        "share"
    ]
    got = voters.loc[_race_eth(voters) == "White", "county_id"].value_counts(normalize=True)
    assert set(got.index) <= set(white.index)
    assert len(white) == 100  # NC has 100 counties
    assert (got.reindex(white.index, fill_value=0) - white).abs().max() < SHARE_TOL


def test_vote_history_matches_certified_turnout(generated, data_dir):
    for state in STATES:
        _, voters, history = generated[state]
        for label, n in history.groupby("election_lbl").size().items():
            total = census.turnout_total(data_dir, state, int(label[:4]))
            assert abs(n / (total * FRACTION) - 1) < 0.03, f"{state} {label}: {n} votes"
        assert set(history["voter_id"]) <= set(voters["voter_id"])
        # Nobody voted before registering, or before turning 18.
        merged = history.merge(voters[["voter_id", "registr_dt", "birth_year"]], on="voter_id")
        assert (merged["registr_dt"] < merged["election_lbl"]).all()
        assert (merged["election_lbl"].str[:4].astype(int) - merged["birth_year"] >= 18).all()


def test_party_only_in_party_registration_states(generated):
    assert generated["WY"][1]["party_cd"].notna().all()
    _, nc, _ = generated["NC"]
    assert set(nc["party_cd"]) <= {"DEM", "REP", "UNA", "LIB"}
    # Calibrated: D / (D + R) among NC registrants equals Obama's 2008 NC two-party share (0.5017).
    dem, rep = (nc["party_cd"] == "DEM").sum(), (nc["party_cd"] == "REP").sum()
    assert abs(dem / (dem + rep) - 0.5017) < 0.015


def test_same_seed_same_file_and_state_independent(data_dir, generated):
    again = pd.concat([c.voters for c in generator.generate_state(data_dir, 2012, "WY", FRACTION, 11)])
    pd.testing.assert_frame_equal(again.reset_index(drop=True), generated["WY"][1].reset_index(drop=True))
    other = pd.concat([c.voters for c in generator.generate_state(data_dir, 2012, "WY", FRACTION, 12)])
    assert (
        not other["birth_year"]
        .reset_index(drop=True)
        .equals(generated["WY"][1]["birth_year"].reset_index(drop=True))
    )


def test_chunks_never_exceed_chunk_rows(data_dir, monkeypatch):
    monkeypatch.setattr(generator, "CHUNK_ROWS", 1000)
    chunks = list(generator.generate_state(data_dir, 2012, "WY", FRACTION, 11))
    assert len(chunks) > 5
    assert max(len(c.voters) for c in chunks) <= 1000


def test_raked_frame_matches_acs_growth(data_dir):
    f12 = census.census_frame(data_dir, 2012).cells
    f20 = census.census_frame(data_dir, 2020).cells
    assert len(f20) == 8160 and "ACS 2018" in census.census_frame(data_dir, 2020).source
    sa12, _ = census.acs_adult_margins(data_dir, 2012)
    sa18, _ = census.acs_adult_margins(data_dir, 2018)
    keys = ["state", "sex", "age4"]
    got = f20.groupby(keys)["pop"].sum() / f12.groupby(keys)["pop"].sum()
    want = sa18.set_index(keys)["pop"] / sa12.set_index(keys)["pop"]
    assert (got / want.reindex(got.index) - 1).abs().max() < 1e-3
    # Known direction: the 65+ population grew everywhere between 2012 and 2018.
    assert (got.xs(4, level="age4") > 1).all()


def test_unknown_state_and_bad_fraction_are_refused(engine, data_dir):
    with pytest.raises(ValueError, match="unknown state"):
        generator.generate_to_db(engine, data_dir, 2012, 0.01, 1, ["XX"])
    with pytest.raises(ValueError, match="fraction"):
        generator.generate_to_db(engine, data_dir, 2012, 0.0, 1, ["WY"])


@pytest.mark.parametrize("year", [2008, 2012, 2016, 2018])
def test_acs_margins_read_every_release_layout(data_dir, year):
    """2012/2018 name the state by GEO_ID, 2008/2016 by a trailing FIPS `state` column: every
    release gives all 51 states, and the Texas adult population is in the right range."""
    sex_age, race = census.acs_adult_margins(data_dir, year)
    assert sex_age["state"].nunique() == 51 and race["state"].nunique() == 51
    tx = sex_age.loc[sex_age["state"] == "TX", "pop"].sum()
    assert 17e6 < tx < 23e6
