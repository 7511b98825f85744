"""Poll model: graph structure, data handling, and one real (short) nutpie fit on a synthetic campaign.

The synthetic campaign is drawn from the model's own generative process (``simulate_input``):
4 races, 80 polls (60 state + 20 national), 2 pollsters, pollster 0 with a +3 point Dem house
effect, race 3 unpolled and outside the national vote (turnout weight 0).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline.models.config import PriorConfig, SamplerConfig, config_hash
from forecast_pipeline.models.input import overlapping_releases, population_versions
from forecast_pipeline.models.poll_model import (
    MODEL_TYPE,
    MODEL_VERSION,
    POPULATIONS,
    build_model,
    default_structure,
    fit,
    joint_basis,
    prepare_data,
    simulate_input,
)
from forecast_pipeline.models.summarize import (
    PosteriorMismatchError,
    diagnostics,
    load_posterior,
    race_forecasts,
    save_posterior,
    trend_table,
)

BIASED, UNBIASED, UNPOLLED = "Pollster 00", "Pollster 01", 3
SAMPLER = SamplerConfig(sampler="nutpie", draws=300, tune=300, chains=2, cores=2, target_accept=0.9, seed=7)


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


@pytest.fixture(scope="module")
def campaign():
    return simulate_input(
        n_races=4,
        n_polls=80,
        n_days=60,
        n_pollsters=2,
        national_fraction=0.25,
        days_before_election=1,
        unpolled=(UNPOLLED,),
        zero_weight=(UNPOLLED,),
        house_effects_pts={0: 3.0, 1: 0.0},
        seed=11,
    )


@pytest.fixture(scope="module")
def fitted(campaign):
    inp, _ = campaign
    return fit(inp, SAMPLER, PriorConfig())


# ---------------------------------------------------------------------------------------------------
# structure (no sampling)
# ---------------------------------------------------------------------------------------------------


def test_build_model_dims_coords_and_finite_logp(campaign):
    inp, _ = campaign
    model = build_model(inp, PriorConfig())

    race_ids = inp.races["race_id"].tolist()
    assert list(model.coords["race"]) == race_ids
    assert list(model.coords["pollster"]) == [BIASED, UNBIASED]
    assert list(model.coords["population"]) == list(POPULATIONS)
    assert len(model.coords["poll"]) == len(inp.polls) == 80
    days = list(model.coords["day"])
    first = inp.polls["end_date"].min().date()
    # the latent walk runs to the as-of day; the days to Election Day are integrated out exactly
    assert days[0] == first.isoformat() and days[-1] == inp.as_of.isoformat()
    assert len(days) == (inp.as_of - first).days + 1
    for name in ("race", "pollster", "population", "day", "poll"):  # plain str, not numpy/pandas
        assert all(type(v) is str for v in model.coords[name]), name

    dims = model.named_vars_to_dims
    assert dims["trend"] == ("race", "day")
    assert dims["national_trend"] == ("day",)
    assert dims["election_day_share"] == ("race",)
    assert dims["house_effect"] == ("pollster",)
    assert dims["population_effect"] == ("population",)
    assert dims["y"] == ("poll",)

    logp = model.compile_logp()(model.initial_point())
    assert np.isfinite(logp)


def test_prepare_data_drops_are_counted(campaign):
    inp, _ = campaign
    ed = inp.election_day
    template = inp.polls.iloc[[0]]
    extra = pd.concat(
        [
            template.assign(poll_id="old", end_date=pd.Timestamp(ed - timedelta(days=400))),
            template.assign(poll_id="bad", dem_pct=np.nan),
            template.assign(poll_id="elsewhere", race_id="2028-president-ZZ"),
        ],
        ignore_index=True,
    )
    polls = pd.concat([inp.polls, extra], ignore_index=True)
    d = prepare_data(dataclasses.replace(inp, polls=polls), PriorConfig())
    assert d.dropped == {
        "window": 1,
        "invalid": 1,
        "unknown_race": 1,
        "national": 0,
        "version": 0,
        "overlap": 0,
    }
    assert d.n_polls == 80 and d.n_state == 60
    assert d.poll_day.min() == 0 and d.poll_day.max() <= len(d.days) - 1
    assert d.weights.sum() == pytest.approx(1.0) and d.weights[UNPOLLED] == 0.0
    assert d.polls_per_race()[UNPOLLED] == 0

    no_nat = prepare_data(inp, PriorConfig(use_national_polls=False))
    assert no_nat.dropped["national"] == 20 and no_nat.n_polls == 60

    with pytest.raises(ValueError, match="after election_day"):
        prepare_data(dataclasses.replace(inp, as_of=ed + timedelta(days=1)), PriorConfig())


def test_overlapping_releases_of_a_tracking_series_count_once(campaign):
    """A daily four-week rolling window (SurveyMonkey's 2020 state releases) keeps one release per
    window, newest first; other pollsters, other sponsors and polls without a start date are kept."""
    inp, _ = campaign
    race = inp.polls.loc[~inp.polls["is_national"], "race_id"].iloc[0]
    ed = pd.Timestamp(inp.election_day)
    base = inp.polls.iloc[[0]].assign(race_id=race, is_national=False, pollster="Tracker", sponsor="Axios")
    ends = [ed - pd.Timedelta(days=k) for k in range(1, 61)]  # 60 daily releases
    tracker = pd.concat(
        [
            base.assign(poll_id=f"t{i}", end_date=e, start_date=e - pd.Timedelta(days=27))
            for i, e in enumerate(ends)
        ],
        ignore_index=True,
    )
    other = pd.concat(
        [
            tracker.iloc[[0]].assign(poll_id="other-sponsor", sponsor="CNBC"),
            tracker.iloc[[0]].assign(poll_id="other-pollster", pollster="Another"),
            tracker.iloc[[0, 1]].assign(
                poll_id=["undated-1", "undated-2"], pollster="Undated", start_date=pd.NaT
            ),
        ],
        ignore_index=True,
    )
    polls = pd.concat([tracker, other], ignore_index=True)
    drop = overlapping_releases(polls)
    kept = set(polls.loc[~drop, "poll_id"])
    # windows ending 1, 29 and 57 days out: each ends before the next kept one starts; polls without a
    # start date are never dropped
    assert kept == {"t0", "t28", "t56", "other-sponsor", "other-pollster", "undated-1", "undated-2"}
    assert drop.sum() == len(polls) - len(kept)
    # LEO's RV and LV versions of one poll (the LV sample is part of the RV one): the LV one stays
    versions = tracker.iloc[[0, 0]].assign(poll_id=["rv", "lv"], population=["rv", "lv"], pollster="Marist")
    assert versions.loc[~overlapping_releases(versions), "poll_id"].tolist() == ["lv"]
    # with the option on the model drops and counts them; off (the default) every release counts;
    # without a start_date column nothing is dropped
    with_tracker = pd.concat([inp.polls, tracker], ignore_index=True)
    d = prepare_data(
        dataclasses.replace(inp, polls=with_tracker), PriorConfig(thin_overlapping_releases=True)
    )
    assert d.dropped["overlap"] == 57 and d.n_polls == 80 + 3
    off = prepare_data(dataclasses.replace(inp, polls=with_tracker), PriorConfig())
    assert off.dropped["overlap"] == 0 and off.n_polls == 80 + 60
    assert not overlapping_releases(tracker.drop(columns="start_date")).any()


def test_population_versions_of_one_poll_count_once(campaign):
    """LEO's LV and RV (or adult) samples of one poll: the LV version counts, by default in the model;
    a different pollster, sponsor or field period is another poll, and undated polls are kept."""
    inp, _ = campaign
    race = inp.polls.loc[~inp.polls["is_national"], "race_id"].iloc[0]
    ed = pd.Timestamp(inp.election_day)
    one = inp.polls.iloc[[0]].assign(
        race_id=race,
        is_national=False,
        pollster="CNN / Opinion Research",
        sponsor=None,
        start_date=ed - pd.Timedelta(days=9),
        end_date=ed - pd.Timedelta(days=5),
    )
    polls = pd.concat(
        [
            one.assign(poll_id="rv", population="rv"),
            one.assign(poll_id="lv", population="lv"),
            one.assign(poll_id="a", population="a"),
            one.assign(poll_id="rv-other-pollster", population="rv", pollster="Ipsos"),
            one.assign(poll_id="rv-other-sponsor", population="rv", sponsor="CNN"),
            one.assign(poll_id="rv-earlier", population="rv", start_date=ed - pd.Timedelta(days=10)),
            one.assign(poll_id="a-no-lv", population="a", end_date=ed - pd.Timedelta(days=3)),
            one.assign(poll_id="rv-no-lv", population="rv", end_date=ed - pd.Timedelta(days=3)),
            one.assign(poll_id="undated-rv", population="rv", start_date=pd.NaT),
        ],
        ignore_index=True,
    )
    drop = population_versions(polls)
    assert polls.loc[drop, "poll_id"].tolist() == ["rv", "a", "a-no-lv"]
    assert not population_versions(polls.drop(columns="start_date")).any()
    with_versions = dataclasses.replace(inp, polls=pd.concat([inp.polls, polls], ignore_index=True))
    d = prepare_data(with_versions, PriorConfig())
    assert d.dropped["version"] == 3 and d.n_polls == 80 + 6
    every = prepare_data(with_versions, PriorConfig(one_population_version=False))
    assert every.dropped["version"] == 0 and every.n_polls == 80 + 9


def test_joint_basis_diagonalises_both_covariances():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 6))
    a = x @ x.T + 0.1 * np.eye(6)
    y = rng.normal(size=(6, 3))
    b = y @ y.T  # singular on purpose: rank 3
    g, d = joint_basis(a, b)
    np.testing.assert_allclose(g @ g.T, a, atol=1e-8)
    np.testing.assert_allclose(g @ np.diag(d) @ g.T, b, atol=1e-8)
    assert (d >= 0).all() and int((d > 1e-8).sum()) == 3


def test_prior_implies_the_structure_covariances(campaign):
    """Prior draws of the model: truth ~ N(prior, A); the poll-visible level minus the truth (the
    systematic error) has covariance B x nu / (nu - 2) (a multivariate t) -- checked by Monte Carlo."""
    import pymc as pm

    inp, _ = campaign
    priors = PriorConfig()
    st = default_structure(inp.races, priors)
    with build_model(inp.without_polls(), priors):
        pp = pm.sample_prior_predictive(
            draws=6000, var_names=["election_day_share", "polling_error"], random_seed=3
        )
    share = pp["prior"]["election_day_share"].values.reshape(-1, len(inp.races))
    truth = _logit(share)
    np.testing.assert_allclose(truth.mean(0), _logit(inp.races["prior_dem_share"]), atol=0.02)
    np.testing.assert_allclose(np.cov(truth.T), st.prior_cov, atol=0.003)
    err = pp["prior"]["polling_error"].values.reshape(-1, len(inp.races))
    t_var = st.bias_nu / (st.bias_nu - 2.0)
    np.testing.assert_allclose(np.cov(err.T), st.bias_cov * t_var, rtol=0.2, atol=0.001)
    # fat tails: excess kurtosis of a t(5) is 6; a normal's is 0
    z = err[:, 0] / err[:, 0].std()
    assert np.mean(z**4) - 3 > 1.5


def test_campaign_to_come_shrinks_towards_the_prior():
    """100 days out the as-of level carries the walk still to come (F) on top of the fundamentals
    (A); the Election-Day truth drawn from the model must still have covariance A, not more. Model
    2.1.0 moved the truth away from the prior by F (A + F)^-1 (T' - prior) instead of towards it,
    which made the truth's variance about 7x A here."""
    import pymc as pm

    inp, _ = simulate_input(
        n_races=4, n_polls=80, n_days=60, n_pollsters=2, days_before_election=100, seed=11
    )
    priors = PriorConfig()
    st = default_structure(inp.races, priors)
    with build_model(inp.without_polls(), priors):
        pp = pm.sample_prior_predictive(draws=6000, var_names=["election_day_share"], random_seed=3)
    truth = _logit(pp["prior"]["election_day_share"].values.reshape(-1, len(inp.races)))
    np.testing.assert_allclose(truth.mean(0), _logit(inp.races["prior_dem_share"]), atol=0.02)
    np.testing.assert_allclose(np.cov(truth.T), st.prior_cov, atol=0.003)


def test_fat_tailed_prior_has_the_t_covariance():
    """With ``prior_nu`` the fundamentals' error is a multivariate t: covariance A nu / (nu - 2) and
    excess kurtosis (6 for nu = 5), with its own mixing weight ``prior_mix`` in the graph."""
    import pymc as pm

    inp, _ = simulate_input(n_races=4, n_polls=80, n_days=60, n_pollsters=2, days_before_election=1, seed=11)
    priors = PriorConfig()
    st = dataclasses.replace(default_structure(inp.races, priors), prior_nu=5.0)
    inp = dataclasses.replace(inp.without_polls(), structure=st)
    model = build_model(inp, priors)
    assert "prior_mix" in model.named_vars
    with model:
        pp = pm.sample_prior_predictive(draws=8000, var_names=["election_day_share"], random_seed=4)
    truth = _logit(pp["prior"]["election_day_share"].values.reshape(-1, len(inp.races)))
    np.testing.assert_allclose(np.cov(truth.T), st.prior_cov * 5.0 / 3.0, rtol=0.2, atol=0.002)
    z = (truth[:, 0] - truth[:, 0].mean()) / truth[:, 0].std()
    assert np.mean(z**4) - 3 > 1.5


def test_polls_far_from_the_prior_are_not_read_as_a_polling_disaster():
    """A prior that is wrong by 0.4 logit (10 points) everywhere, against a well-polled campaign. With
    a normal prior the shared t-weight of the polling error takes the blame (bias_mix ~0.7) and the
    forecast stays 3 points above the polls; with a fat-tailed prior (``prior_mix``) the model can say
    the fundamentals missed instead (prior_mix ~0.6, bias_mix ~0.9) and follows the polls more."""
    inp, truth = simulate_input(
        n_races=6, n_polls=240, n_days=60, n_pollsters=4, days_before_election=1, seed=5
    )
    wrong = inp.races.assign(prior_dem_share=1 / (1 + np.exp(-(_logit(inp.races["prior_dem_share"]) + 0.4))))
    base = default_structure(inp.races, PriorConfig())
    gaps, bias_mix = {}, {}
    for nu in (None, 5.0):
        run = dataclasses.replace(inp, races=wrong, structure=dataclasses.replace(base, prior_nu=nu))
        post = fit(run, SAMPLER, PriorConfig())["posterior"]
        ed = post["election_day_share"].mean(("chain", "draw")).to_series()
        visible = pd.Series(truth.poll_visible_share)
        gaps[nu] = float((ed - visible.reindex(ed.index)).mean())
        bias_mix[nu] = float(post["bias_mix"].mean())
        if nu is not None:
            assert float(post["prior_mix"].mean()) < 0.8  # the fundamentals are the ones that missed
    assert 0 < gaps[5.0] < 0.75 * gaps[None], gaps
    assert bias_mix[5.0] > bias_mix[None], bias_mix


def test_config_hash_tracks_every_setting():
    base = config_hash(SamplerConfig(), PriorConfig())
    assert base == config_hash(SamplerConfig(), PriorConfig())
    assert len(base) == 64
    assert base != config_hash(SamplerConfig(seed=1), PriorConfig())
    assert base != config_hash(SamplerConfig(), PriorConfig(race_dev_sd=0.07))
    assert base != config_hash(SamplerConfig(), PriorConfig(), model_version="0.0.0")
    with pytest.raises(ValueError):
        SamplerConfig(sampler="numpyro")
    with pytest.raises(ValueError):
        PriorConfig(walk_step_days=0)


# ---------------------------------------------------------------------------------------------------
# one real fit (nutpie, 2 chains x 300 + 300)
# ---------------------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_fit_converges(fitted):
    diag = diagnostics(fitted)
    assert diag["max_rhat"] < 1.1
    assert diag["max_rhat_election_day_share"] < 1.05
    assert diag["min_ess_bulk_election_day_share"] > 100
    assert diag["divergences"] <= 5
    assert diag["sampling_seconds"] > 0
    post = fitted["posterior"]
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 300


def test_fit_attrs(fitted, campaign):
    inp, _ = campaign
    a = fitted.attrs
    assert a["model_type"] == MODEL_TYPE and a["model_version"] == MODEL_VERSION
    assert a["config_hash"] == config_hash(SAMPLER, PriorConfig())
    assert a["sampler"] == "nutpie" and a["sampler_version"]
    assert a["seed"] == 7 and a["cycle"] == inp.cycle and a["office"] == "president"
    assert a["as_of"] == inp.as_of.isoformat()
    assert a["n_polls"] == 80 and a["n_polls_national"] == 20


def test_poll_level_recovers_truth(fitted, campaign):
    # The polls see truth + systematic error; what they can recover is the poll-visible level.
    inp, truth = campaign
    fc = race_forecasts(fitted, inp).set_index("race_id")
    last = fitted["posterior"]["trend"].isel(day=-1).mean(("chain", "draw"))
    well_polled = fc.index[fc["n_polls"] >= 20]
    assert len(well_polled) >= 1
    for r in well_polled:
        assert abs(float(last.sel(race=r)) - truth.poll_visible_share[r]) < 0.03, r
        # and the Election-Day truth lies inside the forecast's 80% interval or close to it
        assert (
            fc.loc[r, "dem_two_party_q10"] - 0.02
            <= truth.election_day_share[r]
            <= fc.loc[r, "dem_two_party_q90"] + 0.02
        )


def test_house_effect_sign(fitted):
    house = fitted["posterior"]["house_effect"].mean(("chain", "draw"))
    # zero-sum: the +3 point pollster sits above the average pollster, the other below it
    assert float(house.sel(pollster=BIASED)) > 0 > float(house.sel(pollster=UNBIASED))
    # the simulated gap is 0.12 logit (3 points at 50%); two pollsters shrink it somewhat
    gap = float(house.sel(pollster=BIASED) - house.sel(pollster=UNBIASED))
    assert 0.05 < gap < 0.2


def test_adjustments_are_centred_on_the_average_poll(fitted, campaign):
    """house and mode effects average zero over the polls of the fit (adjust_to="poll"), in every draw:
    the polls as a whole anchor the level, not the unweighted average of pollsters or modes."""
    inp, _ = campaign
    d = prepare_data(inp, PriorConfig())
    post = fitted["posterior"]
    house = post["house_effect"].values.reshape(-1, len(d.pollsters))
    counts = np.bincount(d.poll_pollster, minlength=len(d.pollsters))
    assert counts.min() > 0 and len(set(counts)) > 1  # unequal, so the two anchors differ
    np.testing.assert_allclose(house @ counts, 0.0, atol=1e-9)
    assert np.abs(house.sum(axis=1)).max() > 1e-3  # not the unweighted zero sum
    mode = post["mode_effect"].values.reshape(-1, post.sizes["mode"])
    np.testing.assert_allclose(mode @ np.bincount(d.poll_mode, minlength=mode.shape[1]), 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="adjust_to"):
        PriorConfig(adjust_to="pollsters")


def test_unpolled_race_falls_back_to_prior(fitted, campaign):
    inp, _ = campaign
    fc = race_forecasts(fitted, inp)
    assert fc.loc[UNPOLLED, "n_polls"] == 0
    share = fitted["posterior"]["election_day_share"]
    logit_draws = _logit(share.values).reshape(-1, share.sizes["race"])
    shift = logit_draws.mean(axis=0) - _logit(inp.races["prior_dem_share"].to_numpy())
    polled = fc["n_polls"].to_numpy() > 0
    # With no polls of its own (and no weight in national polls), the race's Election-Day share is its
    # previous result moved by the (shrunk) national swing that the polled races show ...
    swing = shift[polled].mean()
    lo, hi = sorted((0.0, swing))
    assert lo - 0.03 <= shift[UNPOLLED] <= hi + 0.03
    # ... with prior-sized uncertainty and wider than any polled race. The polled races inform the
    # shared national part of the prior, not the race's own part, so most of its prior sd (0.128 logit
    # here) stays (0.0955 in one CI run, 0.10-0.11 usually; a fixed 0.1 floor failed that run).
    sd = logit_draws.std(axis=0)
    prior = fitted["prior"]["election_day_share"].values.reshape(-1, share.sizes["race"])
    prior_sd = _logit(prior).std(axis=0)
    assert 0.6 * prior_sd[UNPOLLED] < sd[UNPOLLED] <= 1.05 * prior_sd[UNPOLLED]
    assert sd[UNPOLLED] > sd[polled].max()


def test_summary_tables(fitted, campaign):
    inp, _ = campaign
    fc = race_forecasts(fitted, inp)
    assert list(fc.columns) == [
        "race_id",
        "state",
        "district",
        "p_dem_win",
        "dem_two_party_mean",
        "dem_two_party_q10",
        "dem_two_party_q50",
        "dem_two_party_q90",
        "n_polls",
    ]
    assert fc["race_id"].tolist() == inp.races["race_id"].tolist()
    assert fc["n_polls"].sum() == 60
    assert fc["p_dem_win"].between(0, 1).all()
    assert (fc["dem_two_party_q10"] <= fc["dem_two_party_q50"]).all()
    assert (fc["dem_two_party_q50"] <= fc["dem_two_party_q90"]).all()

    tt = trend_table(fitted, inp)
    assert list(tt.columns) == ["race_id", "date", "mean", "q10", "q90"]
    assert tt["date"].max() == pd.Timestamp(inp.as_of)
    n_days = (inp.as_of - inp.polls["end_date"].min().date()).days + 1
    assert len(tt) == 4 * n_days
    assert ((tt["q10"] <= tt["mean"]) & (tt["mean"] <= tt["q90"])).all()


def test_save_load_round_trip_and_hash_check(fitted, tmp_path):
    path = save_posterior(fitted, tmp_path / "posterior.nc")
    expected = fitted.attrs["config_hash"]
    loaded = load_posterior(path, expected)
    np.testing.assert_allclose(
        loaded["posterior"]["election_day_share"].values, fitted["posterior"]["election_day_share"].values
    )
    np.testing.assert_allclose(
        loaded["posterior"]["trend"].values, fitted["posterior"]["trend"].values, rtol=1e-6
    )  # stored as float32
    assert [str(r) for r in loaded["posterior"]["race"].values] == list(fitted["posterior"]["race"].values)
    assert loaded.attrs["config_hash"] == expected and loaded.attrs["as_of"] == fitted.attrs["as_of"]
    assert loaded["fit_data"]["n_polls"].values.tolist() == fitted["fit_data"]["n_polls"].values.tolist()
    assert diagnostics(loaded)["divergences"] == diagnostics(fitted)["divergences"]

    with pytest.raises(PosteriorMismatchError, match="config_hash"):
        load_posterior(path, "0" * 64)

    stale = fitted.copy()
    stale.attrs = {**fitted.attrs, "model_version": "0.9.0"}
    stale_path = save_posterior(stale, tmp_path / "stale.nc")
    with pytest.raises(PosteriorMismatchError, match="model_version"):
        load_posterior(stale_path, expected)


# ---------------------------------------------------------------------------------------------------
# the PyMC sampler path
# ---------------------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_pymc_sampler_smoke():
    inp, _ = simulate_input(
        n_races=2, n_polls=30, n_days=20, n_pollsters=2, national_fraction=0.2, days_before_election=5, seed=3
    )
    cfg = SamplerConfig(sampler="pymc", draws=50, tune=50, chains=2, cores=1, seed=5)
    idata = fit(inp, cfg, PriorConfig())
    assert idata.attrs["sampler"] == "pymc"
    assert idata["posterior"].sizes["chain"] == 2 and idata["posterior"].sizes["draw"] == 50
    share = idata["posterior"]["election_day_share"].values
    assert np.isfinite(share).all() and ((share > 0) & (share < 1)).all()
    assert set(diagnostics(idata)) >= {"max_rhat", "min_ess_bulk", "divergences", "sampling_seconds"}


def test_national_walk_parameterisations_share_one_prior(campaign):
    """With national polls the national walk is sampled centred on absolute levels (model 2.7.1: the
    relative levels had to move with every race's as-of level), without them non-centred. Both must
    be the same random walk: knot k back from as-of has sd sqrt(k x step days) x national_walk_sd."""
    import pymc as pm

    inp, _ = campaign
    priors = PriorConfig()
    state_only = dataclasses.replace(inp, polls=inp.polls[~inp.polls["is_national"]])
    sds = {}
    for name, data in (("centred", inp), ("non-centred", state_only)):
        model = build_model(data, priors)
        assert ("national_walk" in model.named_vars) == (name == "centred"), name
        assert ("national_walk_z" in model.named_vars) == (name == "non-centred"), name
        with model:
            pp = pm.sample_prior_predictive(draws=4000, var_names=["national_walk_back"], random_seed=5)
        back = pp["prior"]["national_walk_back"].values.reshape(4000, -1)
        assert np.all(back[:, 0] == 0.0)
        sds[name] = back.std(0)
    k = np.arange(len(sds["centred"]))
    expected = np.sqrt(k * priors.walk_step_days) * priors.national_walk_sd
    for name, sd in sds.items():
        np.testing.assert_allclose(sd[1:], expected[1:], rtol=0.08, err_msg=name)
