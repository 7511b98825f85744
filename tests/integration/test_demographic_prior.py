"""MRP as a forecast input (``demographic_prior``): the survey no-look-ahead rule, the precision
weighting, the similarity feature and the fallback without MRP rows. Synthetic MRP rows in a real,
empty PostgreSQL; no MRP fit."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from forecast_pipeline import demographic_prior as dp
from forecast_pipeline import history, similarity
from forecast_pipeline.structure import build_structure
from forecast_pipeline.voterfile import mrp

STATES = ["MI", "WI", "PA", "FL", "VT", "WY"]
AS_OF = date(2020, 11, 2)


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _races(cycle: int = 2020) -> pd.DataFrame:
    return pd.DataFrame(
        {"race_id": [f"{cycle}-president-{s}" for s in STATES], "state": STATES, "office": "president"}
    )


def _insert(engine, cycle: int, survey_cycle: int, means: pd.Series) -> None:
    """One MRP row per state, and one composition cell per state with one expected voter."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO voterfile.composition_state (cycle, state_cd, race_eth, educ_cd, age4, sex, registered,"
                " expected_voters, share_of_state) VALUES (:c, :s, 'White', 'col', 2, 'Female', 1, 1.0, 1.0)"
                " ON CONFLICT DO NOTHING"
            ),
            [{"c": cycle, "s": s} for s in means.index],
        )
        conn.execute(
            sa.text(
                "INSERT INTO forecast.mrp_state_estimates (cycle, survey_cycle, state, mean, sd, q10, q90,"
                " n_respondents, model_version) VALUES (:c, :sc, :s, :m, 0.01, :m, :m, 10, 'test')"
            ),
            [{"c": cycle, "sc": survey_cycle, "s": s, "m": float(m)} for s, m in means.items()],
        )


# --- the no-look-ahead rule -------------------------------------------------------------------------


def test_every_survey_has_a_fielded_date():
    assert set(dp.VOTE_CHOICE_SURVEY) == set(mrp.SURVEY_CYCLES)
    assert dp.SURVEYS["upshot-2004"].fielded_through == date(2004, 11, 1)  # eve of Nov 2 2004
    assert dp.SURVEYS["upshot-2012"].fielded_through == date(2012, 11, 5)  # eve of Nov 6 2012
    assert dp.SURVEYS["538-nonvoters-2020"].fielded_through == date(2020, 9, 25)


def test_no_survey_fielded_after_the_as_of_date():
    assert not dp.fielded_by("upshot-2012", date(2012, 11, 4))
    assert dp.fielded_by("upshot-2012", date(2012, 11, 5))
    # every voter file is generated with the 2020 non-voter survey: no MRP before its fieldwork ended,
    # so the 2004-2016 backtests cannot use it
    for d in (date(2004, 11, 1), date(2012, 11, 5), date(2016, 11, 7), date(2020, 9, 24)):
        allowed, why = dp.admissible_survey_cycles(d)
        assert allowed == [] and "non-voter" in why and "2020-09-25" in why
    assert dp.admissible_survey_cycles(date(2020, 9, 25)) == ([2004, 2012], None)


def test_the_survey_choice_respects_the_allowed_list(fresh_engine):
    _insert(fresh_engine, 2012, 2004, pd.Series({"MI": 0.55, "WY": 0.30}))
    _insert(fresh_engine, 2012, 2012, pd.Series({"MI": 0.60, "WY": 0.35}))
    assert mrp.mrp_state_lean(fresh_engine, 2012)["survey_cycle"].eq(2012).all()
    early = mrp.mrp_state_lean(fresh_engine, 2012, survey_cycles=[2004])
    assert early["survey_cycle"].eq(2004).all()
    assert early.set_index("state").loc["MI", "dem_two_party_mean"] == pytest.approx(0.55)
    with pytest.raises(LookupError):
        mrp.mrp_state_lean(fresh_engine, 2012, survey_cycles=[])
    # a 2012 forecast on the eve of Election Day: the non-voter survey (2020) rules the MRP out
    _, info = dp.load_mrp_lean(fresh_engine, "unused", 2012, date(2012, 11, 5))
    assert info["used"] is False and "non-voter" in info["reason"]


# --- the precision weighting ------------------------------------------------------------------------


def test_precision_weighted_lean_numbers():
    fund = pd.Series({"A": 0.10, "B": -0.20, "C": 0.30})
    mrp_lean = pd.Series({"A": 0.20, "B": 0.00})  # no estimate for C
    combined, w = dp.precision_weighted_lean(fund, mrp_lean, fundamentals_sd=0.14, mrp_sd=0.07)
    assert w == pytest.approx(0.14**2 / (0.14**2 + 0.07**2)) and w == pytest.approx(0.8)
    np.testing.assert_allclose(combined.to_numpy(), [0.18, -0.04, 0.30])
    # equal error sds: the plain average
    c2, w2 = dp.precision_weighted_lean(fund, mrp_lean, 0.1, 0.1)
    assert w2 == pytest.approx(0.5) and c2["A"] == pytest.approx(0.15)


# --- the similarity feature -------------------------------------------------------------------------


def test_similarity_changes_with_the_mrp_feature(data_dir):
    base = similarity.state_correlation(data_dir, 2020)
    pd.testing.assert_frame_equal(base, similarity.state_correlation(data_dir, 2020, mrp_lean=None))
    lean = history.state_leans(history.presidential_history(data_dir, 2020)).iloc[-1].copy()
    lean["MI"], lean["WI"] = 2.0, -2.0  # the MRP says the two neighbours differ a lot
    with_mrp = similarity.state_correlation(data_dir, 2020, mrp_lean=lean)
    assert with_mrp.shape == base.shape and np.linalg.eigvalsh(with_mrp.to_numpy()).min() > 0.1
    assert with_mrp.loc["MI", "WI"] < base.loc["MI", "WI"] - 0.1
    feats = similarity.state_features(data_dir, 2020, mrp_lean=lean.drop("DC"))
    assert "mrp_lean" in feats and feats.loc["DC", "mrp_lean"] == 0.0  # missing state: at the mean


# --- the structure with and without MRP -------------------------------------------------------------


def test_fallback_without_mrp_rows_is_the_forecast_without_mrp(fresh_engine, data_dir):
    p0, s0 = build_structure(fresh_engine, data_dir, 2020, AS_OF, _races(), use_mrp=False)
    p1, s1 = build_structure(fresh_engine, data_dir, 2020, AS_OF, _races())
    assert s1.info["mrp"]["used"] is False and "no MRP estimates" in s1.info["mrp"]["reason"]
    assert s1.info["mrp"]["prior_weight_mrp"] == 0.0 and s1.info["mrp"]["similarity_feature"] is False
    np.testing.assert_array_equal(p0, p1)
    np.testing.assert_array_equal(s0.prior_cov, s1.prior_cov)
    np.testing.assert_array_equal(s0.bias_cov, s1.bias_cov)


def test_mrp_enters_the_prior_and_the_similarity(fresh_engine, data_dir):
    leans = history.state_leans(history.presidential_history(data_dir, 2020))
    hist12 = history.presidential_history(data_dir, 2013).query("cycle == 2012").set_index("state")
    states = list(leans.columns)
    # 2012 from the 2004 survey (calibration: the forecast's survey-to-cycle gap, 8 years): the
    # certified shares pushed by +-0.1 logit, alternating by state
    shift = pd.Series([0.1 if i % 2 else -0.1 for i in range(len(states))], index=states)
    _insert(
        fresh_engine,
        2012,
        2004,
        pd.Series(_expit(_logit(hist12.loc[states, "dem_two_party"]) + shift), index=states),
    )
    # 2020 (the forecast): every state but WY
    m20 = pd.Series(_expit(_logit(0.52) + leans.loc[2016, states] * 0.8), index=states).drop("WY")
    _insert(fresh_engine, 2020, 2012, m20)

    p0, s0 = build_structure(fresh_engine, data_dir, 2020, AS_OF, _races(), use_mrp=False)
    p1, s1 = build_structure(fresh_engine, data_dir, 2020, AS_OF, _races())
    info = s1.info["mrp"]
    assert info["used"] and info["survey_cycle"] == 2012 and info["similarity_feature"]
    assert info["calibration_cycles"] == [2012] and info["states_fundamentals_only"] == ["WY"]

    # the MRP lean's error sd, computed here from the rows: equal weights (one expected voter each)
    m12 = pd.Series(_expit(_logit(hist12.loc[states, "dem_two_party"]) + shift), index=states)
    err = _logit(m12) - _logit(m12.mean()) - leans.loc[2012, states]
    sd_mrp = float(np.sqrt(np.mean(err**2)))
    assert info["mrp_lean_sd_logit"] == pytest.approx(sd_mrp, rel=1e-9)
    sd_f = s0.info["president"]["state_sd_logit"]
    w = sd_f**2 / (sd_f**2 + sd_mrp**2)
    assert info["prior_weight_mrp"] == pytest.approx(w) and 0 < w < 1

    # president prior = logit(national) + w * MRP lean + (1 - w) * fundamentals lean; WY unchanged
    mrp_lean = pd.Series(_logit(m20) - _logit(m20.mean()), index=m20.index)
    for i, s in enumerate(STATES):
        fund = leans.loc[2016, s]
        expect = p0[i] if s == "WY" else p0[i] - fund + w * mrp_lean[s] + (1 - w) * fund
        assert p1[i] == pytest.approx(expect, abs=1e-12)
    assert p1[STATES.index("WY")] == p0[STATES.index("WY")]
    # the covariance changed through the similarity, not through the scales
    assert not np.allclose(s0.race_corr, s1.race_corr)
    np.testing.assert_allclose(np.diag(s0.prior_cov), np.diag(s1.prior_cov))


def test_mrp_without_an_earlier_cycle_feeds_only_the_similarity(fresh_engine, data_dir):
    leans = history.state_leans(history.presidential_history(data_dir, 2020))
    states = list(leans.columns)
    _insert(
        fresh_engine,
        2020,
        2012,
        pd.Series(_expit(_logit(0.52) + leans.loc[2016, states] * 0.5), index=states),
    )
    # an earlier cycle with another survey-to-cycle gap (2016 from the 2012 survey: 4 years; the
    # forecast's is 8) does not calibrate the 2020 forecast's MRP error
    _insert(fresh_engine, 2016, 2012, pd.Series(_expit(_logit(0.49) + leans.loc[2012, states]), index=states))
    p0, s0 = build_structure(fresh_engine, data_dir, 2020, AS_OF, _races(), use_mrp=False)
    p1, s1 = build_structure(fresh_engine, data_dir, 2020, AS_OF, _races())
    assert s1.info["mrp"]["used"] and s1.info["mrp"]["calibration_cycles"] == []
    assert s1.info["mrp"]["calibration_survey_gap"] == 8
    assert s1.info["mrp"]["prior_weight_mrp"] == 0.0 and "calibrate" in s1.info["mrp"]["prior_note"]
    np.testing.assert_array_equal(p0, p1)
    assert not np.allclose(s0.race_corr, s1.race_corr)
    # before the non-voter survey's fieldwork ended the same rows are not used at all
    p2, s2 = build_structure(fresh_engine, data_dir, 2020, date(2020, 9, 24), _races())
    assert s2.info["mrp"]["used"] is False and s2.info["mrp"]["similarity_feature"] is False
    _, s3 = build_structure(fresh_engine, data_dir, 2020, date(2020, 9, 24), _races(), use_mrp=False)
    np.testing.assert_array_equal(s2.race_corr, s3.race_corr)
