"""MRP on a small sample of the real 2012 survey: real sampling, post-stratified on the census cells."""

from __future__ import annotations

import pytest

from forecast_pipeline.voterfile import census, mrp


def test_survey_and_predictors(data_dir):
    resp = mrp.survey_respondents(data_dir, 2012)
    assert len(resp) > 12_000 and set(resp["dem"]) == {0, 1}
    assert set(resp["race_eth"]) == set(census.RACES) and set(resp["state"]) <= set(census.STATES)
    pred = mrp.state_predictors(data_dir, 2012)
    assert len(pred) == 51 and abs(pred["z_prev"].mean()) < 1e-9
    # The predictor is the previous (2008) result, never the one being validated against.
    assert pred.set_index("state").loc["IN", "prev"] == pytest.approx(0.505, abs=0.01)
    with pytest.raises(ValueError, match="surveys exist"):
        mrp.survey_respondents(data_dir, 2016)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["nutpie"])
def test_mrp_beats_raw_means_on_a_small_sample(data_dir, sampler):
    resp = mrp.survey_respondents(data_dir, 2012).sample(n=3000, random_state=4).reset_index(drop=True)
    fit = mrp.fit_mrp(
        resp,
        mrp.state_predictors(data_dir, 2012),
        2012,
        sampler=sampler,
        draws=200,
        tune=200,
        chains=2,
        seed=4,
    )
    ps = census.census_frame(data_dir, 2012).cells.rename(columns={"pop": "weight"})
    est = mrp.poststratify(fit, ps).merge(mrp.raw_state_means(resp), on="state", how="left")
    assert len(est) == 51 and (est["sd"] > 0).all() and (est["q10"] < est["q90"]).all()
    actual = census.presidential_results(data_dir).query("year == 2012").set_index("state")["dem_two_party"]
    est["actual"] = est["state"].map(actual)
    scored = est.dropna()
    assert len(scored) >= 45
    rmse_mrp, rmse_raw = (
        mrp.rmse(scored["mean"], scored["actual"]),
        mrp.rmse(scored["raw_mean"], scored["actual"]),
    )
    assert rmse_mrp < 0.06
    assert rmse_mrp < rmse_raw
