"""Joint simulations: resampling, Electoral College, tipping point, Senate control, conditionals.

Hand-built cases whose answers are worked out in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast_pipeline import simulations as S
from forecast_pipeline.races import electoral_votes

EV_2020 = electoral_votes(2020)
STATES = sorted(EV_2020)


def _idata(arr: np.ndarray, ids: list[str]) -> xr.DataTree:
    return xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {"election_day_share": (("chain", "draw", "race"), arr)}, coords={"race": ids}
            )
        }
    )


def _pres_races(states=STATES, districts=(), cycle=2020) -> pd.DataFrame:
    evs = electoral_votes(cycle)
    rows = [
        {"race_id": f"{cycle}-president-{s}", "state": s, "district": None, "electoral_votes": evs[s]}
        for s in states
    ]
    rows += [
        {"race_id": f"{cycle}-president-{s}-{d}", "state": s, "district": d, "electoral_votes": None}
        for s, d in districts
    ]
    df = pd.DataFrame(rows)
    df["district"] = df["district"].astype("Int64")
    df["electoral_votes"] = df["electoral_votes"].astype("Int64")
    return df.sort_values("race_id").reset_index(drop=True)


def _wide(rows: list[dict]) -> pd.DataFrame:
    w = pd.DataFrame(rows)
    w.index.name = "sim"
    return w


# ---------------------------------------------------------------------------------------------------
# joint draws and resampling


def test_resampling_is_balanced_and_keeps_the_joint_structure():
    rng = np.random.default_rng(3)
    # 2 chains x 150 draws; races A and B strongly correlated (rho 0.9), C independent of both
    z = rng.normal(size=(2, 150, 3))
    a = 0.5 + 0.03 * z[..., 0]
    b = 0.5 + 0.03 * (0.9 * z[..., 0] + np.sqrt(1 - 0.81) * z[..., 1])
    c = 0.5 + 0.03 * z[..., 2]
    ids = ["2020-president-AA", "2020-president-BB", "2020-president-CC"]
    dt = _idata(np.stack([a, b, c], axis=-1), ids)
    sims = S.joint_simulations(dt, n_sims=10_000, seed=5)
    assert sims["sim"].nunique() == 10_000 and len(sims) == 30_000
    draws = sims.drop_duplicates("sim")["draw"].to_numpy()
    counts = np.bincount(draws, minlength=300)
    # 10,000 = 33 x 300 + 100: every draw 33 or 34 times, 100 of them 34 times
    assert counts.min() == 33 and counts.max() == 34 and (counts == 34).sum() == 100
    wide = S.wide_shares(sims)
    # each simulation is one whole posterior draw: the shares equal that draw's, race by race
    flat = np.stack([a, b, c], axis=-1).reshape(-1, 3)
    np.testing.assert_array_equal(wide[ids].to_numpy(), flat[draws])
    rho_post = np.corrcoef(flat[:, 0], flat[:, 1])[0, 1]
    rho_sims = np.corrcoef(wide[ids[0]], wide[ids[1]])[0, 1]
    assert rho_post > 0.85
    assert abs(rho_sims - rho_post) < 0.01
    # resampling each race on its own would have destroyed it
    rng2 = np.random.default_rng(0)
    indep = np.corrcoef(flat[rng2.integers(0, 300, 10_000), 0], flat[rng2.integers(0, 300, 10_000), 1])[0, 1]
    assert abs(indep) < 0.05
    # same seed, same table; a different seed changes which 100 draws are used twice
    again = S.joint_simulations(dt, n_sims=10_000, seed=5)
    pd.testing.assert_frame_equal(sims, again)
    other = S.joint_simulations(dt, n_sims=10_000, seed=6).drop_duplicates("sim")["draw"].to_numpy()
    assert not np.array_equal(other, draws)


def test_enough_draws_are_used_as_they_are_and_race_subset():
    arr = np.random.default_rng(1).uniform(0.3, 0.7, size=(4, 3000, 2))
    ids = ["2020-senate-GA-c2", "2020-president-GA"]
    sims = S.joint_simulations(_idata(arr, ids), race_ids=["2020-president-GA"], n_sims=10_000)
    assert sims["sim"].nunique() == 12_000 and set(sims["race_id"]) == {"2020-president-GA"}
    np.testing.assert_array_equal(sims["dem_share"].to_numpy(), arr[..., 1].reshape(-1))
    assert (sims["dem_win"] == (sims["dem_share"] > 0.5)).all()
    with pytest.raises(KeyError, match="not in the posterior"):
        S.joint_simulations(_idata(arr, ids), race_ids=["2020-president-PA"])


# ---------------------------------------------------------------------------------------------------
# Electoral College


def test_ev_totals_538_with_dc_and_maine_nebraska():
    alloc, fallback = S.ev_allocation(_pres_races())
    assert alloc["ev"].sum() == 538 and "DC" in set(alloc["state"])
    assert fallback == ["ME", "NE"]  # no district races: the statewide winner takes all 4 / 5
    assert alloc.set_index("state").loc[["ME", "NE"], "ev"].tolist() == [4, 5]

    races = _pres_races(districts=[("ME", 1), ("ME", 2), ("NE", 2)])
    alloc, fallback = S.ev_allocation(races)
    ev = alloc.set_index("label")["ev"]
    assert ev.sum() == 538
    assert (ev["ME"], ev["ME-1"], ev["ME-2"]) == (2, 1, 1)
    assert (ev["NE"], ev["NE-2"]) == (4, 1)  # NE-1 and NE-3 not modelled: they follow the state
    assert fallback == ["NE"]


def test_electoral_votes_sweep_tie_and_split_maine():
    races = _pres_races(districts=[("ME", 1), ("ME", 2)])
    ids = races["race_id"].tolist()
    sweep = {r: 0.6 for r in ids}
    # the Republican wins CA 55 + TX 38 + FL 29 + NY 29 + PA 20 + IL 20 + OH 18 + GA 16 + MI 16 + NC 15
    # + VA 13 = 269: a 269-269 tie
    rep = {"CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "MI", "NC", "VA"}
    tie = {r: (0.4 if r.split("-")[2] in rep and r.count("-") == 2 else 0.6) for r in ids}
    # the Democrat loses only ME-2: 537
    split = {**sweep, "2020-president-ME-2": 0.45}
    ev = S.electoral_votes(_wide([sweep, tie, split]), races)
    assert ev.dem_ev.tolist() == [538, 269, 537]
    assert ev.p_tie == pytest.approx(1 / 3) and ev.p_dem_win == pytest.approx(2 / 3)
    assert ev.distribution["probability"].sum() == pytest.approx(1.0)
    assert ev.distribution["ev"].tolist() == [269, 537, 538]
    assert ev.mean == pytest.approx((538 + 269 + 537) / 3)
    assert ev.q50 == 537 and ev.total_ev == 538 and ev.majority == 270


# ---------------------------------------------------------------------------------------------------
# tipping point: 3 states A = 10, B = 20, C = 25 EVs (55 in all, majority 28)

TOY_IDS = ["2020-president-XA", "2020-president-XB", "2020-president-XC"]
TOY = pd.DataFrame(
    {
        "race_id": TOY_IDS,
        "state": ["XA", "XB", "XC"],
        "district": pd.array([None] * 3, dtype="Int64"),
        "electoral_votes": pd.array([10, 20, 25], dtype="Int64"),
    }
)
TOY_SIMS = _wide(
    [
        # D wins A, B (30): D-best order A .60, B .55 -> running 10, 30: B delivers the 28th EV
        dict(zip(TOY_IDS, [0.60, 0.55, 0.45], strict=True)),
        # D wins A, C (35): order A .60, C .52 -> 10, 35: C
        dict(zip(TOY_IDS, [0.60, 0.45, 0.52], strict=True)),
        # R sweeps: R-best order A .40, B .45 -> 10, 30: B
        dict(zip(TOY_IDS, [0.40, 0.45, 0.48], strict=True)),
        # R wins B, C (45): R-best order B .30, C .49 -> 20, 45: C
        dict(zip(TOY_IDS, [0.70, 0.30, 0.49], strict=True)),
        # D wins A, B (30): D-best order B .60, A .51 -> 20, 30: A
        dict(zip(TOY_IDS, [0.51, 0.60, 0.40], strict=True)),
    ]
)


def test_tipping_point_toy():
    tp = S.tipping_point(TOY_SIMS, TOY, total_ev=55).set_index("label")["probability"]
    assert tp.to_dict() == pytest.approx({"XA": 0.2, "XB": 0.4, "XC": 0.4})
    ev = S.electoral_votes(TOY_SIMS, TOY, total_ev=55)
    assert ev.dem_ev.tolist() == [30, 35, 0, 10, 30] and ev.majority == 28
    assert ev.p_dem_win == pytest.approx(0.6)


def test_tipping_point_skips_ties():
    # A 10, B 10 (20 EVs, majority 11): a 10-10 split has no tipping point
    races = TOY.iloc[:2].assign(electoral_votes=pd.array([10, 10], dtype="Int64"))
    sims = _wide(
        [dict(zip(TOY_IDS[:2], [0.6, 0.4], strict=True)), dict(zip(TOY_IDS[:2], [0.6, 0.55], strict=True))]
    )
    tp = S.tipping_point(sims, races, total_ev=20).set_index("label")["probability"]
    # sim 2: D-best order A .60, B .55 -> 10, 20: B
    assert tp.to_dict() == {"XA": 0.0, "XB": 0.5}


def test_tipping_point_real_map_is_a_close_state():
    races = _pres_races()
    # 2020-like map: Biden wins his 2020 states (306); PA is his 270th EV when the states are
    # sorted by his share: every state he won by more than PA's margin + PA's 20 EVs >= 270
    biden = {
        "AZ": 0.502,
        "CA": 0.65,
        "CO": 0.57,
        "CT": 0.60,
        "DE": 0.60,
        "DC": 0.93,
        "GA": 0.501,
        "HI": 0.65,
        "IL": 0.58,
        "ME": 0.55,
        "MD": 0.66,
        "MA": 0.67,
        "MI": 0.514,
        "MN": 0.54,
        "NV": 0.514,
        "NH": 0.54,
        "NJ": 0.58,
        "NM": 0.55,
        "NY": 0.61,
        "OR": 0.58,
        "PA": 0.506,
        "RI": 0.60,
        "VT": 0.67,
        "VA": 0.55,
        "WA": 0.60,
        "WI": 0.503,
    }
    shares = {f"2020-president-{s}": biden.get(s, 0.40) for s in STATES}
    ev = S.electoral_votes(_wide([shares]), races)
    assert ev.dem_ev.tolist() == [306 - 1 + 1]  # ME statewide takes all 4 (no district races)
    # D-best order ... MI .514 / NV .514, PA .506 (20): before PA the running total is
    # 306 - (PA 20 + WI 10 + AZ 11 + GA 16) = 249 -> with PA 269 -> WI (.503) makes 279: WI tips
    tp = S.tipping_point(_wide([shares]), races).set_index("label")["probability"]
    assert tp["WI"] == 1.0


# ---------------------------------------------------------------------------------------------------
# Senate control

SEN_IDS = ["2022-senate-AA-c3", "2022-senate-BB-c3", "2022-senate-CC-c3"]
SEN = pd.DataFrame(
    {"race_id": SEN_IDS, "state": ["AA", "BB", "CC"], "district": pd.array([None] * 3, dtype="Int64")}
)
SEN_SIMS = _wide(
    [
        dict(zip(SEN_IDS, [0.6, 0.6, 0.6], strict=True)),  # 48 + 3 = 51
        dict(zip(SEN_IDS, [0.6, 0.6, 0.4], strict=True)),  # 50
        dict(zip(SEN_IDS, [0.6, 0.4, 0.4], strict=True)),  # 49
        dict(zip(SEN_IDS, [0.4, 0.6, 0.4], strict=True)),  # 49
    ]
)
NOT_UP = {"DEM": 48, "REP": 49}


def test_senate_control_with_a_fixed_vp():
    dem_vp = S.senate_control(SEN_SIMS, SEN, NOT_UP, "DEM")
    assert dem_vp.dem_seats.tolist() == [51, 50, 49, 49]
    assert dem_vp.p_dem_control == pytest.approx(0.5)  # 51, and 50 with the VP
    assert dem_vp.p_tie_50_50 == pytest.approx(0.25)
    assert dem_vp.seat_distribution.set_index("dem_seats")["probability"].to_dict() == pytest.approx(
        {49: 0.5, 50: 0.25, 51: 0.25}
    )
    assert dem_vp.seats_accounted == 100
    assert S.senate_control(SEN_SIMS, SEN, NOT_UP, "REP").p_dem_control == pytest.approx(0.25)
    assert S.senate_control(SEN_SIMS, SEN, NOT_UP, float("nan")).p_dem_control == pytest.approx(0.25 + 0.125)


def test_senate_control_vp_from_the_same_simulation():
    # a fit with both offices: the VP comes from the EC winner of each simulation
    pres = TOY
    both = pd.concat([pres, SEN], ignore_index=True)
    rows = []
    for i, (_, s) in enumerate(SEN_SIMS.iterrows()):
        # the Democrat wins the EC only in simulation 1 (the 50-50 one) and 2
        p = [0.6, 0.6, 0.6] if i in (1, 2) else [0.4, 0.4, 0.4]
        rows.append({**dict(zip(TOY_IDS, p, strict=True)), **s.to_dict()})
    sims = _wide(rows)
    vp = S.vp_from_electoral_college(pres, total_ev=55)
    np.testing.assert_array_equal(vp(sims), [0.0, 1.0, 1.0, 0.0])
    ctl = S.senate_control(sims, both, NOT_UP, vp)
    assert ctl.p_dem_control == pytest.approx(0.5)  # sims 0 (51) and 1 (50 + Dem VP)
    # with the Republican winning the EC in the 50-50 simulation, control drops to 0.25
    rows[1].update(dict(zip(TOY_IDS, [0.4] * 3, strict=True)))
    assert S.senate_control(_wide(rows), both, NOT_UP, vp).p_dem_control == pytest.approx(0.25)


def test_sitting_vp():
    assert S.sitting_vp_party(2018) == "REP" and S.sitting_vp_party(2022) == "DEM"
    assert S.sitting_vp_party(2010) == "DEM" and S.sitting_vp_party(2014) == "DEM"


# ---------------------------------------------------------------------------------------------------
# conditional questions and poll weight


def test_conditional_probability_ec_given_losing_a_state():
    # P(Dem EC | Dem loses B): B lost in sims 1, 2, 3; Dem EC win in sim 1 only -> 1/3
    cond = S.conditional_probability(TOY_SIMS, S.ec_win(TOY, total_ev=55), S.race_win(TOY_IDS[1], "REP"))
    assert cond == pytest.approx(1 / 3)
    assert S.conditional_probability(TOY_SIMS, S.ec_win(TOY, total_ev=55)) == pytest.approx(0.6)
    # P(Dem EC | Dem wins B) = 2/2
    assert S.conditional_probability(TOY_SIMS, S.ec_win(TOY, total_ev=55), S.race_win(TOY_IDS[1])) == 1.0
    # boolean arrays work too, and the long form of the table
    long = TOY_SIMS.reset_index().melt(id_vars="sim", var_name="race_id", value_name="dem_share")
    assert (
        S.conditional_probability(long, np.array([1, 1, 0, 0, 0], bool), np.array([1, 0, 1, 0, 0], bool))
        == 0.5
    )
    with pytest.raises(ValueError, match="no simulation"):
        S.conditional_probability(TOY_SIMS, S.race_win(TOY_IDS[0]), np.zeros(5, bool))


def test_poll_weight():
    draws = pd.DataFrame({"2020-president-AA": [0.4, 0.5, 0.6], "2020-president-BB": [0.5, 0.5, 0.5]})
    # posterior variances 0.01 and 0; prior variances 0.04 and 0.01
    w = S.poll_weight(draws, {"2020-president-AA": 0.04, "2020-president-BB": 0.01})
    assert w.to_dict() == pytest.approx({"2020-president-AA": 0.75, "2020-president-BB": 1.0})
    assert S.poll_weight(draws, None).isna().all()
    assert np.isnan(S.poll_weight(draws, {"2020-president-AA": 0.04})["2020-president-BB"])


def test_forecast_outputs_multi_office_fit():
    # one fit with president (all states) and three Senate races: both summaries from the same draws
    races = pd.concat(
        [_pres_races(), SEN.assign(race_id=[r.replace("2022", "2020") for r in SEN_IDS])], ignore_index=True
    )
    ids = races["race_id"].tolist()
    rng = np.random.default_rng(2)
    nat = rng.normal(0, 0.03, size=(2, 500, 1))
    arr = np.clip(0.5 + nat + rng.normal(0, 0.02, size=(2, 500, len(ids))), 0.01, 0.99)
    out = S.forecast_outputs(
        _idata(arr, ids), races, n_sims=10_000, seats_not_up=NOT_UP, prior_variance=pd.Series(0.01, index=ids)
    )
    assert out.offices == ["president", "senate"] and out.n_sims == 10_000 and out.n_posterior_draws == 1000
    assert out.president.distribution["probability"].sum() == pytest.approx(1.0)
    assert out.tipping["probability"].sum() == pytest.approx(1 - out.president.p_tie)
    assert out.senate.vp_rule == "per simulation"
    assert out.senate.seat_distribution["dem_seats"].between(48, 51).all()
    top = out.topline().set_index(["office", "metric"])["value"]
    assert top[("president", "ev_total_modelled")] == 538
    assert top[("senate", "seats_not_up_dem")] == 48
    doc = out.document()
    assert doc["electoral_votes"]["p_dem_win"] == out.president.p_dem_win
    assert set(doc["tipping_point"]) == set(STATES)
    assert doc["senate"]["seats_not_up"] == NOT_UP
    assert out.poll_weight.notna().all() and (out.poll_weight < 1).all()
    with pytest.raises(ValueError, match="seats_not_up"):
        S.forecast_outputs(_idata(arr, ids), races)
