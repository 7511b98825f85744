"""The model's prior (fundamentals, state similarity, historical polling error) on real data: its
numbers are sane and nothing from the forecast cycle or later reaches it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline import fundamentals, history, similarity
from forecast_pipeline.model_input import build_joint_input, build_model_input
from forecast_pipeline.polling_error import (
    dem_rep_top_two,
    fit_race_error,
    historical_errors,
    office_errors,
    polling_error_scale,
)
from forecast_pipeline.structure import build_structure


def test_history_stops_before_the_cycle(data_dir):
    assert history.presidential_history(data_dir, 2016)["cycle"].max() == 2012
    assert history.latest_acs_year(2008) is None  # ACS 2008 was released in 2009
    assert history.latest_acs_year(2016) == 2012
    assert history.latest_acs_year(2020) == 2018
    nat = fundamentals.tfc_national(data_dir, 2016, days_to_election=1)
    assert max(nat.details["tfc_train_years"]) == 2012
    # 2016 inputs: Obama's June net approval +4, Q2 GDP 1.1, second term -> a close race
    assert 0.47 < nat.dem_share < 0.52
    # 2020: Q2 GDP (-31.4) is outside 1948-2016; it is clipped to the fitted range, not extrapolated
    nat20 = fundamentals.tfc_national(data_dir, 2020, days_to_election=1)
    assert nat20.details["q2gdp_clipped"] and nat20.details["q2gdp_used"] == pytest.approx(-7.9)
    assert 0.5 < nat20.dem_share < 0.56


def test_tfc_is_damped_by_polarization_known_before_the_cycle(data_dir):
    nat = fundamentals.tfc_national(data_dir, 2008, 1)
    plain = fundamentals.tfc_national(data_dir, 2008, 1, polarization=False)
    # 2008 uses ANES 2004 (8.7% swing voters) against a 1952-2000 training mean near 16%
    assert nat.details["swing_voter_survey_year"] == 2004
    assert nat.details["polarization_factor"] == pytest.approx(0.546, abs=0.002)
    # McCain's party: 42.96% undamped, 46.66% damped (he got 46.3)
    assert plain.details["tfc_prediction_incumbent_pct"] == pytest.approx(42.96, abs=0.01)
    assert nat.details["tfc_prediction_incumbent_pct"] == pytest.approx(46.66, abs=0.01)
    # 2024 cannot see a survey of 2024 (nor 2020's, which the shared table lacks): the latest is 2016
    assert fundamentals.tfc_national(data_dir, 2024, 1).details["swing_voter_survey_year"] == 2016
    # out of sample, each year fitted on the years before it: the damping cuts the RMS miss
    # of the incumbent party's share over 1996-2016 from 2.7 to 1.3 points
    ab = history.abramowitz(data_dir).set_index("year")["incvote"]

    def rms(polarization):
        errs = [
            fundamentals.tfc_national(data_dir, y, 1, polarization).details["tfc_prediction_incumbent_pct"]
            - ab[y]
            for y in range(1996, 2017, 4)
        ]
        return float(np.sqrt(np.mean(np.square(errs))))

    assert rms(False) == pytest.approx(2.75, abs=0.02)
    assert rms(True) == pytest.approx(1.30, abs=0.02)


def test_tfc_uncertainty_grows_with_days_to_election(data_dir):
    near = fundamentals.tfc_national(data_dir, 2012, 1).sd_logit
    far = fundamentals.tfc_national(data_dir, 2012, 95).sd_logit  # 2012-08-03
    assert far > near * 1.05


def test_tfc_inputs_are_not_used_before_they_are_published(data_dir):
    # 2012-07-30 is before the Q2 GDP advance estimate (and a backtest must not see it)
    with pytest.raises(ValueError, match="no look-ahead"):
        fundamentals.tfc_national(data_dir, 2012, 99)
    assert fundamentals.tfc_national(data_dir, 2012, 98).dem_share > 0  # 2012-07-31


def test_state_similarity_is_a_valid_correlation(data_dir):
    c = similarity.state_correlation(data_dir, 2016)
    m = c.to_numpy()
    assert m.shape == (51, 51)
    np.testing.assert_allclose(np.diag(m), 1.0)
    assert (m > 0).all() and np.linalg.eigvalsh(m).min() > 0.1  # positive definite, no negatives
    # neighbours and demographic twins are close; opposites are far
    assert c.loc["WI", "MI"] > 0.8 and c.loc["MN", "WI"] > 0.7
    assert c.loc["MS", "VT"] < 0.45 and c.loc["WI", "MI"] > c.loc["WI", "MS"]


def test_polling_error_uses_only_earlier_cycles(loaded, engine):
    keys = historical_errors(engine, 2016)
    assert keys and all(int(k.split("-")[0]) < 2016 for k in keys)
    scale = polling_error_scale(engine, 2016, "president")
    # RMS national miss of the final polls 1990-2014 is a couple of points of logit share
    assert 0.03 < scale.national_sd_logit < 0.12
    assert 0.02 < scale.race_sd_logit < 0.12
    # with 2016 and 2020 in the history (both big misses) the 2022 scale is larger
    assert polling_error_scale(engine, 2022, "president").race_sd_logit > scale.race_sd_logit


def test_polling_error_counts_only_democrat_v_republican_races(loaded, engine):
    """A race where an independent finished in the top two has no Democrat-v-Republican polling error:
    Lieberman (2006), Murkowski's write-in and Crist (2010), King (2012); Chafee, Cutler and Tancredo's
    governor races (2010). With them, and the Stanford races whose parties are swapped, the governor
    race scale was 0.19-0.21 logit; without, 0.13."""
    assert dem_rep_top_two(engine, 2010, "senate") >= {"2010-senate-OH-c3", "2010-senate-NV-c3"}
    assert not {"2010-senate-AK-c3", "2010-senate-FL-c3"} & dem_rep_top_two(engine, 2010, "senate")
    assert not {"2010-governor-ME", "2010-governor-RI", "2010-governor-CO"} & dem_rep_top_two(
        engine, 2010, "governor"
    )
    errs = historical_errors(engine, 2022)
    seen = set().union(*(set(e["race_id"]) for e in errs.values()))
    assert "2006-senate-CT-c1" not in seen and "2012-senate-ME-c1" not in seen
    assert {"2006-senate-PA-c1", "2010-governor-OH"} <= seen
    # the Stanford file's swapped 2006 New York and 2010 Alaska governor polls (Spitzer at 24%) are
    # rejected at loading; the races' errors come from the other sources' polls (1.97 logit before)
    for cycle, race in ((2006, "2006-governor-NY"), (2010, "2010-governor-AK")):
        e = errs[f"{cycle}-governor"].set_index("race_id")["error"]
        assert abs(e[race]) < 0.3, (race, e[race])
    assert 0.10 < polling_error_scale(engine, 2022, "governor").race_sd_logit < 0.16


def test_structure_does_not_change_when_the_cycle_results_change(loaded, engine, data_dir):
    """No look-ahead in the prior: it must not depend on the forecast cycle's own results. The 2016
    prior is built, the 2016 presidential results are perturbed inside a rolled-back transaction,
    and it is built again."""
    races = pd.DataFrame(
        {
            "race_id": ["2016-president-PA", "2016-president-WI", "2016-senate-PA-c3"],
            "state": ["PA", "WI", "PA"],
            "office": ["president", "president", "senate"],
        }
    )
    from forecast_pipeline import polling_error

    before, st_before = build_structure(engine, data_dir, 2016, date(2016, 11, 7), races)
    # triple every 2016 Democratic vote count (president and Senate): every 2016 outcome changes
    sql = (
        "UPDATE core.results x SET votes = votes {op} 3 FROM core.candidates k, core.races r "
        "WHERE x.candidate_id = k.candidate_id AND x.race_id = r.race_id AND k.party = 'DEM' "
        "AND r.cycle = 2016 AND r.office IN ('president', 'senate')"
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(sql.format(op="*"))
    try:
        polling_error._cached.cache_clear()
        after, st_after = build_structure(engine, data_dir, 2016, date(2016, 11, 7), races)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql.format(op="/"))
    np.testing.assert_allclose(before, after)
    np.testing.assert_allclose(st_before.prior_cov, st_after.prior_cov)
    np.testing.assert_allclose(st_before.bias_cov, st_after.bias_cov)
    assert st_before.info["downballot"]["downballot_train_cycles"][-1] < 2016


def test_downballot_prior_knows_incumbents(loaded, engine, data_dir):
    inp = build_model_input(engine, 2018, "senate", date(2018, 11, 5))
    inc = inp.structure.info["incumbency"]
    # 2018: Democrats Manchin (WV) and Tester (MT) ran for re-election in Trump states
    wv = next(k for k in inc if "-WV-" in k)
    mt = next(k for k in inc if "-MT-" in k)
    assert inc[wv] == {"seat_party": 1, "incumbent_running": 1}
    assert inc[mt] == {"seat_party": 1, "incumbent_running": 1}
    coef = inp.structure.info["downballot"]["downballot_coefficients"]
    assert coef["incumbent_running"] > 0 and coef["lean_senate"] > 0.5
    prior = inp.races.set_index("state")["prior_dem_share"]
    # an incumbent Democrat in a Trump +40 state still gets a competitive prior
    assert prior["WV"] > 0.4


def test_incumbency_ignores_an_election_more_than_a_term_back():
    """A seat's previous election missing from the results (a partial count rejected at loading) must not
    make an older winner the incumbent: Maine's governor in 2014 is LePage's seat, not Baldacci's."""
    seats = pd.DataFrame(
        {
            "race_id": ["2006-governor-ME", "2014-governor-ME", "2010-senate-X-c3", "2016-senate-X-c3"],
            "cycle": [2006, 2014, 2010, 2016],
            "office": ["governor", "governor", "senate", "senate"],
            "state": ["ME", "ME", "XX", "XX"],
            "seat": ["ME-governor", "ME-governor", "XX-senate-c3", "XX-senate-c3"],
            "dem_two_party": [0.6, 0.45, 0.55, 0.52],
            "winner_party": ["DEM", "REP", "DEM", "DEM"],
            "winner_name": ["John Baldacci", "Paul LePage", "A Senator", "A Senator"],
            "candidates": [
                [("John Baldacci", "DEM")],
                [("Mike Michaud", "DEM"), ("Paul LePage", "REP")],
                [("A Senator", "DEM")],
                [("A Senator", "DEM"), ("B Other", "REP")],
            ],
        }
    )
    out = fundamentals.incumbency(seats).set_index("race_id")
    assert out.loc["2014-governor-ME", ["seat_party", "incumbent_running"]].tolist() == [0, 0]
    assert np.isnan(out.loc["2014-governor-ME", "prev_seat_share"])
    # six years is a Senate term: the 2010 winner is the 2016 incumbent
    assert out.loc["2016-senate-X-c3", ["seat_party", "incumbent_running"]].tolist() == [1, 1]


def test_joint_input_links_offices(loaded, engine):
    inp = build_joint_input(engine, 2020, date(2020, 11, 2))
    offices = set(inp.races["office"])
    assert offices == {"president", "senate", "governor"}
    w = inp.races.set_index("race_id")["turnout_weight"]
    assert (w[inp.races.set_index("race_id")["office"] != "president"] == 0).all()
    c = inp.structure.race_corr
    ids = inp.races["race_id"].tolist()
    pa_p, pa_s = ids.index("2020-president-PA"), ids.index("2020-president-NC")
    nc_s = next(i for i, r in enumerate(ids) if r.startswith("2020-senate-NC"))
    assert c[ids.index("2020-president-NC"), nc_s] == pytest.approx(0.7)  # same state, other office
    assert 0 < c[pa_p, nc_s] < c[pa_s, nc_s]


def test_generic_ballot_environment_is_dated(loaded, engine, data_dir):
    """The midterm environment: 538's daily generic average up to 2016, the raw generic polls after,
    each as it stood on the as-of date."""
    from forecast_pipeline.environment import generic_environment

    e10 = generic_environment(engine, data_dir, 2010, date(2010, 11, 1))
    assert e10.source == "538 generic-ballot average" and e10.dem_two_party == pytest.approx(0.4628, abs=5e-4)
    e10_early = generic_environment(engine, data_dir, 2010, date(2010, 7, 25))
    assert e10_early.as_of <= date(2010, 7, 25) and e10_early.dem_two_party == pytest.approx(0.4834, abs=5e-4)
    e18 = generic_environment(engine, data_dir, 2018, date(2018, 11, 5))
    assert e18.n_pollsters == 20 and e18.n_polls == 74
    assert e18.dem_two_party == pytest.approx(0.546, abs=1e-3)  # the House vote was 0.544
    assert generic_environment(engine, data_dir, 2018, date(2017, 1, 1)) is None  # nothing yet

    # No look-ahead: halving the Democratic number of every generic poll that ended after the
    # as-of date leaves the environment unchanged.
    as_of = date(2018, 10, 7)
    before = generic_environment(engine, data_dir, 2018, as_of)
    sql = (
        "UPDATE core.poll_answers a SET pct = pct {op} 2 FROM core.polls p, core.races r, core.candidates k "
        "WHERE a.poll_key = p.poll_key AND p.race_id = r.race_id AND a.candidate_id = k.candidate_id "
        "AND r.office = 'generic' AND r.cycle = 2018 AND k.party = 'DEM' AND p.end_date > '2018-10-07'"
    )
    with engine.begin() as conn:
        changed = conn.exec_driver_sql(sql.format(op="/")).rowcount
    try:
        after = generic_environment(engine, data_dir, 2018, as_of)
        moved = generic_environment(engine, data_dir, 2018, date(2018, 11, 5))
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql.format(op="*"))
    assert changed > 50
    assert after == before and moved.dem_two_party < e18.dem_two_party - 0.05


def test_downballot_environment_and_odd_year_specials(loaded, engine, data_dir):
    from forecast_pipeline.structure import _DOWNBALLOT_RESULTS_SQL, later_presidential_results

    inp = build_model_input(engine, 2014, "senate", date(2014, 11, 3))
    db = inp.structure.info["downballot"]
    assert db["downballot_environment"] == "generic"
    assert db["generic_ballot"]["dem_two_party"] == pytest.approx(0.4893, abs=5e-4)
    # the generic-ballot swing carries most of the national environment into the down-ballot prior
    assert 0.6 < db["downballot_coefficients"]["generic_swing"] < 1.2
    # Booker and Markey won 2013 specials and ran again in 2014: odd-year races count for incumbency
    inc = inp.structure.info["incumbency"]
    assert inc["2014-senate-NJ-c2"] == {"seat_party": 1, "incumbent_running": 1}
    assert inc["2014-senate-MA-c2"] == {"seat_party": 1, "incumbent_running": 1}
    # ... but the regression trains on even-year general elections only
    assert all(c % 2 == 0 for c in db["downballot_train_cycles"])

    # no generic ballot dated before the as-of date: the fitted midterm penalty, and it says so
    with engine.connect() as conn:
        results = pd.read_sql(_DOWNBALLOT_RESULTS_SQL, conn, params={"cycle": 2014})
    hist = history.presidential_history(data_dir, 2014, later_presidential_results(engine, 2014))
    ids = inp.races["race_id"].tolist()
    fallback, finfo = fundamentals.downballot_prior(results, hist, 2014, ids, {})
    assert (
        finfo["downballot_environment"] == "midterm" and "midterm_penalty" in finfo["downballot_coefficients"]
    )
    assert not np.allclose(
        fallback["prior_logit"].to_numpy(),
        np.log(inp.races["prior_dem_share"] / (1 - inp.races["prior_dem_share"])).to_numpy(),
    )


def test_downballot_prior_departures_are_independent(loaded, engine, data_dir):
    """Presidential leans move together across similar states; a Senate or governor race's own
    departure from its regression does not (the residual correlation is ~0 in every similarity
    bin), so its prior covariance with another state's race is the shared national part only."""
    races = pd.DataFrame(
        {
            "race_id": ["2016-president-MI", "2016-president-WI", "2016-senate-WI-c3", "2016-senate-PA-c3"],
            "state": ["MI", "WI", "WI", "PA"],
            "office": ["president", "president", "senate", "senate"],
        }
    )
    _, st = build_structure(engine, data_dir, 2016, date(2016, 11, 7), races)
    nat = st.info["downballot"]["national_sd_logit"]
    assert st.prior_cov[2, 3] == pytest.approx(nat**2)  # WI and PA Senate: national part only
    assert st.prior_cov[2, 2] > 10 * nat**2  # its own departure dominates its variance
    pres_nat = st.info["president"]["national_sd_logit"]
    assert st.prior_cov[0, 1] > pres_nat**2 * 1.5  # MI and WI presidential: similarity adds
    # polling errors still correlate with similarity: more than the shared national miss
    b_nat = st.info["polling_error"]["senate"]["national_sd_logit"]
    assert st.bias_cov[2, 3] > 1.2 * b_nat**2


def test_presidential_lean_correlation_is_calibrated_on_earlier_cycles(loaded, engine, data_dir):
    """The Election-Day prior's state correlation is w K + (1 - w) I, with w the maximum-likelihood
    kernel weight of the lean changes of earlier cycles only (each scored against its own kernel)."""
    w08, info08 = similarity.lean_change_weight(data_dir, 2008)
    assert info08["cycles"] == [1988, 1992, 1996, 2000, 2004]
    # measured: 0.825, 2.2 log-likelihood units better than the kernel alone (w = 1)
    assert w08 == pytest.approx(0.825) and info08["loglik_gain_vs_kernel_only"] > 1.5
    w12, info12 = similarity.lean_change_weight(data_dir, 2012)
    assert info12["cycles"][-1] == 2008 and 0.5 < w12 <= 1.0
    # a cycle with no earlier lean change to learn from keeps the kernel as is
    assert similarity.lean_change_weight(data_dir, 1988)[0] == 1.0

    races = pd.DataFrame(
        {
            "race_id": ["2008-president-IN", "2008-president-OH", "2008-senate-NC-c2"],
            "state": ["IN", "OH", "NC"],
            "office": ["president", "president", "senate"],
        }
    )
    _, st = build_structure(engine, data_dir, 2008, date(2008, 11, 3), races)
    assert st.info["lean_kernel_weight"]["weight"] == pytest.approx(0.825)
    nat = st.info["president"]["national_sd_logit"]
    lean = st.info["president"]["state_sd_logit"]
    k = st.race_corr[0, 1]
    assert st.prior_cov[0, 1] == pytest.approx(nat**2 + lean**2 * 0.825 * k)
    assert st.prior_cov[0, 0] == pytest.approx(nat**2 + lean**2)
    # the polling error keeps the full similarity kernel
    assert st.bias_cov[0, 1] > st.info["polling_error"]["president"]["national_sd_logit"] ** 2


@pytest.mark.parametrize(
    ("cycle", "office", "w_range", "sd_range", "min_gain"),
    [
        # measured (2.5.0 history): w 0.20, s 0.139; K alone (s refitted) 24 log-likelihood units worse
        # (2.4.0, with the independents' and swapped races: w 0.00, s 0.150, 33 units)
        (2018, "senate", (0.05, 0.35), (0.11, 0.17), 15),
        # measured: w 0.55, s 0.160; 7 units (2.4.0: w 0.10, s 0.236, 17 units)
        (2018, "governor", (0.35, 0.75), (0.12, 0.20), 3),
        # measured: w 0.85, s 0.078 (the moment scale, which ignores that K shares part of each miss: 0.058)
        (2016, "president", (0.6, 1.0), (0.065, 0.09), 0),
    ],
)
def test_polling_error_correlation_fit_uses_earlier_cycles(
    loaded, engine, data_dir, cycle, office, w_range, sd_range, min_gain
):
    """The race part of past polling errors, s^2 (w K + (1 - w) I), by maximum likelihood on the
    cycles before ``cycle``: Senate misses are mostly independent across states, governor misses half
    way, presidential misses follow the similarity kernel. (An analysis: the backtests kept the model on
    w = 1 with the moment scale; README, model 2.4.0.)"""
    sc = polling_error_scale(engine, cycle, office)
    fit = fit_race_error(
        office_errors(engine, cycle, office),
        lambda c: similarity.state_correlation_at(data_dir, c),
        sc.national_sd_logit,
        sc.race_sd_logit,
    )
    assert fit is not None and max(fit.cycles) < cycle and len(fit.cycles) >= 4
    assert w_range[0] <= fit.kernel_weight <= w_range[1]
    assert sd_range[0] < fit.sd_logit < sd_range[1]
    assert fit.loglik_gain_vs_kernel_only >= min_gain
    # the model's (w = 1, moment scale) is well below the likelihood's maximum on every office
    assert fit.loglik_gain_vs_moments > 5
