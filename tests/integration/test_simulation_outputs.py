"""Simulation outputs against the database: Senate seats not up from the real results, and the
storage round trip of forecast.simulations / ev_distribution / tipping_point / seat_distribution /
topline / race_forecasts.poll_weight."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import xarray as xr

from forecast_pipeline import simulations as S
from forecast_pipeline.models.input import POLL_COLUMNS, ModelInput
from forecast_pipeline.publish_outputs import publish_outputs, simulations_csv
from forecast_pipeline.races import election_day, electoral_votes
from forecast_pipeline.senate_seats import seat_holders, seats_not_up, senate_results

# Seats not up, by caucus (Dem-caucusing independents as DEM), as the Senate stood before each
# November election (public record):
# 2008: 35 up (33 Class II + MS, WY specials); Senate 51 D/I - 49 R, 12 D and 23 R seats up -> 39 D, 26 R
# 2012: 33 up (Class I); 53 D/I (Sanders, Lieberman) - 47 R, 23 D/I and 10 R up -> 30 D, 37 R
# 2014: 36 up (Class II + HI, OK, SC specials); 55 D/I - 45 R, 21 D and 15 R up -> 34 D, 30 R
# 2016: 34 up (Class III); 46 D/I - 54 R, 10 D and 24 R up -> 36 D, 30 R
# 2018: 35 up (Class I + MN, MS specials); 49 D/I - 51 R, 26 D/I and 9 R up -> 23 D, 42 R
# 2020: 35 up (Class II + AZ, GA specials); 47 D/I - 53 R, 12 D and 23 R up -> 35 D, 30 R
# 2022: 35 up (Class III + OK special); 50 D/I - 50 R, 14 D and 21 R up -> 36 D, 29 R
# 2024: 34 up (Class I + NE special); 51 D/I - 49 R, 23 D/I and 11 R up -> 28 D, 38 R
KNOWN_NOT_UP = {
    2008: {"DEM": 39, "REP": 26},
    2012: {"DEM": 30, "REP": 37},
    2014: {"DEM": 34, "REP": 30},
    2016: {"DEM": 36, "REP": 30},
    2018: {"DEM": 23, "REP": 42},
    2020: {"DEM": 35, "REP": 30},
    2022: {"DEM": 36, "REP": 29},
    2024: {"DEM": 28, "REP": 38},
}


@pytest.mark.parametrize("cycle", sorted(KNOWN_NOT_UP))
def test_seats_not_up_match_the_real_senate(engine, loaded, cycle):
    assert seats_not_up(engine, cycle) == KNOWN_NOT_UP[cycle]


def test_seat_holders_detail(engine, loaded):
    res = senate_results(engine)
    assert len(res[["state", "senate_class"]].drop_duplicates()) == 100
    h = seat_holders(res, 2022).set_index(["state", "senate_class"])
    # independents count with their caucus; runoffs decide (Ossoff, Jan 2021); off-year specials count
    assert h.loc[("VT", 1), "candidate"] == "Bernie Sanders" and h.loc[("VT", 1), "caucus"] == "DEM"
    assert h.loc[("ME", 1), "party"] == "IND" and h.loc[("ME", 1), "caucus"] == "DEM"
    assert h.loc[("GA", 2), "candidate"] == "Jon Ossoff"
    assert ("GA", 3) not in h.index and ("OK", 2) not in h.index  # up in 2022 (regular, special)
    h18 = seat_holders(res, 2018).set_index(["state", "senate_class"])
    assert h18.loc[("AL", 2), "race_id"] == "2017-senate-AL-c2" and h18.loc[("AL", 2), "caucus"] == "DEM"
    # the not-up seats and the races of the cycle make up the Senate
    for cycle in (2018, 2020, 2022):
        up = res.loc[res["cycle"] == cycle, ["state", "senate_class"]].drop_duplicates()
        assert len(up) + sum(seats_not_up(res, cycle).values()) == 100


def test_ec_winner_table_matches_state_results(engine, loaded):
    """simulations.EC_WINNER against the certified state results (statewide winner-take-all, which
    decides the same winner in 2000-2024 as the real ME/NE splits)."""
    with engine.connect() as conn:
        df = pd.read_sql(
            sa.text(
                "SELECT r.cycle, r.state, k.party, sum(x.votes) AS votes FROM core.results x "
                "JOIN core.races r USING (race_id) JOIN core.candidates k USING (candidate_id) "
                "WHERE r.office = 'president' AND r.district IS NULL AND r.state <> 'US' AND x.stage = 'general' "
                "AND r.cycle BETWEEN 2000 AND 2024 AND k.party IN ('DEM', 'REP') GROUP BY 1, 2, 3"
            ),
            conn,
        )
    wide = df.pivot_table(index=["cycle", "state"], columns="party", values="votes").reset_index()
    for cycle, g in wide.groupby("cycle"):
        evs = electoral_votes(int(cycle))
        dem = sum(evs[s] for s, d, r in zip(g["state"], g["DEM"], g["REP"], strict=True) if d > r)
        assert S.EC_WINNER[int(cycle)] == ("DEM" if dem >= 270 else "REP"), cycle


# ---------------------------------------------------------------------------------------------------
# storage round trip


def _input(cycle: int, office: str, race_ids: list[str], states: list[str], evs=None) -> ModelInput:
    races = pd.DataFrame(
        {
            "race_id": race_ids,
            "state": states,
            "district": pd.array([None] * len(states), dtype="Int64"),
            "prior_dem_share": 0.5,
            "turnout_weight": 1 / len(states),
            "electoral_votes": pd.array([None if evs is None else evs[s] for s in states], dtype="Int64"),
        }
    )
    polls = pd.DataFrame({c: pd.Series(dtype=object) for c in POLL_COLUMNS})
    polls["end_date"] = pd.to_datetime(polls["end_date"])
    return ModelInput(
        cycle=cycle,
        office=office,
        as_of=date(cycle, 11, 1),
        election_day=election_day(cycle),
        races=races,
        polls=polls,
        national_prior_dem_share=0.5,
    )


def _posterior(race_ids: list[str], seed: int, chains=2, draws=1000, prior=False) -> xr.DataTree:
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0.3, 0.7, len(race_ids))
    arr = np.clip(
        centre
        + rng.normal(0, 0.03, (chains, draws, 1))
        + rng.normal(0, 0.02, (chains, draws, len(race_ids))),
        0.01,
        0.99,
    )
    ds = {
        "posterior": xr.Dataset(
            {"election_day_share": (("chain", "draw", "race"), arr)}, coords={"race": race_ids}
        )
    }
    if prior:  # a prior predictive group twice as wide as the posterior
        p = np.clip(centre + rng.normal(0, 0.08, (1, 2000, len(race_ids))), 0.01, 0.99)
        ds["prior"] = xr.Dataset(
            {"election_day_share": (("chain", "draw", "race"), p)}, coords={"race": race_ids}
        )
    return xr.DataTree.from_dict(ds)


def _run(conn, cycle: int, office: str) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO forecast.runs (cycle, office, as_of, model_type, model_version, config_hash, status) "
            "VALUES (:c, :o, :d, 'test', '0', 'x', 'published') RETURNING run_id"
        ),
        {"c": cycle, "o": office, "d": date(cycle, 11, 1)},
    ).scalar_one()


def _scalar(conn, sql: str, **params):
    return conn.execute(sa.text(sql), params).scalar_one()


def test_president_outputs_round_trip(fresh_engine, tmp_path):
    evs = electoral_votes(2020)
    states = sorted(evs)
    ids = [f"2020-president-{s}" for s in states]
    inp = _input(2020, "president", ids, states, evs)
    idata = _posterior(ids, seed=1, prior=True)
    with fresh_engine.begin() as conn:
        run_id = _run(conn, 2020, "president")
        conn.execute(
            sa.text(
                "INSERT INTO forecast.race_forecasts (run_id, race_id, state, p_dem_win, dem_two_party_mean,"
                " dem_two_party_q10, dem_two_party_q50, dem_two_party_q90, n_polls)"
                " VALUES (:r, :i, :s, 0.5, 0.5, 0.4, 0.5, 0.6, 0)"
            ),
            [{"r": run_id, "i": i, "s": s} for i, s in zip(ids, states, strict=True)],
        )
        t0 = time.perf_counter()
        out = publish_outputs(conn, run_id, idata, inp)
        seconds = time.perf_counter() - t0
    print(f"publish_outputs 10,000 x {len(ids)} (compute + COPY + inserts): {seconds:.2f}s")
    with fresh_engine.connect() as conn:
        n = _scalar(conn, "SELECT count(*) FROM forecast.simulations WHERE run_id = :r", r=run_id)
        n_sims = _scalar(
            conn, "SELECT count(DISTINCT sim) FROM forecast.simulations WHERE run_id = :r", r=run_id
        )
        ev_sum = _scalar(
            conn, "SELECT sum(probability) FROM forecast.ev_distribution WHERE run_id = :r", r=run_id
        )
        tp_sum = _scalar(
            conn, "SELECT sum(probability) FROM forecast.tipping_point WHERE run_id = :r", r=run_id
        )
        top = dict(
            conn.execute(
                sa.text(
                    "SELECT metric, value FROM forecast.topline WHERE run_id = :r AND office = 'president'"
                ),
                {"r": run_id},
            ).all()
        )
        # the stored simulations give back the stored P(EC win): recompute it in SQL
        p_sql = _scalar(
            conn,
            "SELECT avg((ev >= 270)::int) FROM (SELECT s.sim, sum(CASE WHEN s.dem_share > 0.5 THEN e.ev ELSE 0 END) ev"
            " FROM forecast.simulations s JOIN (VALUES "
            + ", ".join(f"('{i}', {evs[s]})" for i, s in zip(ids, states, strict=True))
            + ") e(race_id, ev) USING (race_id) WHERE s.run_id = :r GROUP BY s.sim) x",
            r=run_id,
        )
        # a conditional question in SQL: P(Dem EC | Dem loses PA), as an analyst would ask it
        p_cond_sql = _scalar(
            conn,
            "WITH ec AS (SELECT s.sim, sum(CASE WHEN s.dem_share > 0.5 THEN e.ev ELSE 0 END) ev"
            " FROM forecast.simulations s JOIN (VALUES "
            + ", ".join(f"('{i}', {evs[s]})" for i, s in zip(ids, states, strict=True))
            + ") e(race_id, ev) USING (race_id) WHERE s.run_id = :r GROUP BY s.sim)"
            " SELECT avg((ec.ev >= 270)::int) FROM ec JOIN forecast.simulations pa"
            " ON pa.run_id = :r AND pa.sim = ec.sim AND pa.race_id = '2020-president-PA' WHERE pa.dem_share < 0.5",
            r=run_id,
        )
        weights = dict(
            conn.execute(
                sa.text("SELECT race_id, poll_weight FROM forecast.race_forecasts WHERE run_id = :r"),
                {"r": run_id},
            ).all()
        )
    assert n == 10_000 * 51 and n_sims == 10_000
    assert ev_sum == pytest.approx(1.0)
    assert tp_sum == pytest.approx(1.0 - top["p_tie_ec"])
    assert top["n_sims"] == 10_000 and top["n_posterior_draws"] == 2000 and top["ev_total_modelled"] == 538
    assert top["ev_district_fallback_ME"] == 1.0 and top["ev_district_fallback_NE"] == 1.0
    assert top["p_dem_win_ec"] == pytest.approx(out.president.p_dem_win)
    assert float(p_sql) == pytest.approx(top["p_dem_win_ec"], abs=2e-4)  # REAL rounding at 0.5 only
    assert 0 <= top["ev_q10"] <= top["ev_q50"] <= top["ev_q90"] <= 538
    p_cond = S.conditional_probability(out.sims, S.ec_win(inp.races), S.race_win("2020-president-PA", "REP"))
    assert float(p_cond_sql) == pytest.approx(p_cond, abs=1e-3)
    # prior sd 0.08 vs posterior sd ~0.036: poll weight ~ 1 - 0.036^2 / 0.08^2 ~ 0.8
    assert all(0.6 < w < 0.95 for w in weights.values())
    # the analyst's CSV next to the JSON
    path = tmp_path / "x-simulations.csv.gz"
    simulations_csv(out, path)
    back = pd.read_csv(path)
    assert back.shape == (10_000, 2 + 51) and list(back.columns[:2]) == ["sim", "draw"]
    np.testing.assert_allclose(
        back["2020-president-PA"], S.wide_shares(out.sims)["2020-president-PA"], atol=1e-5
    )


def test_copy_speed_10k_by_51(fresh_engine):
    ids = [f"2020-president-{s}" for s in sorted(electoral_votes(2020))]
    out = S.forecast_outputs(
        _posterior(ids, seed=2), _input(2020, "president", ids, sorted(electoral_votes(2020))).races
    )
    from forecast_pipeline.publish_outputs import copy_simulations

    with fresh_engine.begin() as conn:
        run_id = _run(conn, 2020, "president")
        seconds = copy_simulations(conn, run_id, out.sims)
    print(f"COPY 10,000 x 51 = {len(out.sims)} rows: {seconds:.2f}s")
    assert seconds < 20  # a few seconds on the shared 2-core machine
    with fresh_engine.begin() as conn:
        stored = conn.execute(
            sa.text("SELECT sim, race_id, dem_share FROM forecast.simulations WHERE run_id = :r"),
            {"r": run_id},
        ).all()
        conn.execute(sa.text("DELETE FROM forecast.runs WHERE run_id = :r"), {"r": run_id})
        left = _scalar(conn, "SELECT count(*) FROM forecast.simulations WHERE run_id = :r", r=run_id)
    back = pd.DataFrame(stored, columns=["sim", "race_id", "dem_share"]).merge(
        out.sims, on=["sim", "race_id"]
    )
    assert len(back) == 510_000
    np.testing.assert_allclose(back["dem_share_x"], back["dem_share_y"], atol=1e-7)  # REAL: float32
    assert left == 0  # the trigger deletes a run's simulations with the run


def test_senate_outputs_and_vp_rules(fresh_engine):
    states = ["AZ", "GA", "NC", "PA"]
    # midterm: the sitting VP (2022: Harris, DEM) breaks a 50-50 tie
    ids = [f"2022-senate-{s}-c3" for s in states]
    inp = _input(2022, "senate", ids, states)
    with fresh_engine.begin() as conn:
        run_id = _run(conn, 2022, "senate")
        out = publish_outputs(conn, run_id, _posterior(ids, seed=3), inp, seats_not_up={"DEM": 48, "REP": 48})
    assert out.senate.vp_rule == "fixed DEM" and out.president is None
    with fresh_engine.connect() as conn:
        seat_sum = _scalar(
            conn, "SELECT sum(probability) FROM forecast.seat_distribution WHERE run_id = :r", r=run_id
        )
        lo, hi = conn.execute(
            sa.text(
                "SELECT min(dem_seats), max(dem_seats) FROM forecast.seat_distribution WHERE run_id = :r"
            ),
            {"r": run_id},
        ).one()
        top = dict(
            conn.execute(
                sa.text("SELECT metric, value FROM forecast.topline WHERE run_id = :r AND office = 'senate'"),
                {"r": run_id},
            ).all()
        )
        n_ev = _scalar(conn, "SELECT count(*) FROM forecast.ev_distribution WHERE run_id = :r", r=run_id)
        weights = conn.execute(
            sa.text(
                "SELECT count(*) FROM forecast.race_forecasts WHERE run_id = :r AND poll_weight IS NOT NULL"
            ),
            {"r": run_id},
        ).scalar_one()
    assert seat_sum == pytest.approx(1.0) and 48 <= lo <= hi <= 52 and n_ev == 0 and weights == 0
    assert top["seats_not_up_dem"] == 48 and top["seats_accounted"] == 100
    assert top["p_dem_control"] == pytest.approx(out.senate.p_dem_control)

    # presidential year, Senate fitted alone: P(Dem VP) from the published presidential run's topline
    evs = electoral_votes(2020)
    pres_ids = [f"2020-president-{s}" for s in sorted(evs)]
    sen_ids = [f"2020-senate-{s}-c2" for s in states]
    with fresh_engine.begin() as conn:
        pres = publish_outputs(
            conn,
            _run(conn, 2020, "president"),
            _posterior(pres_ids, seed=4),
            _input(2020, "president", pres_ids, sorted(evs), evs),
        )
        sen = publish_outputs(
            conn,
            _run(conn, 2020, "senate"),
            _posterior(sen_ids, seed=5),
            _input(2020, "senate", sen_ids, states),
            seats_not_up={"DEM": 48, "REP": 48},
        )
    assert sen.senate.vp_rule == f"independent draw, P(Dem VP) = {pres.president.p_dem_win:.4f}"
    # no presidential run for 2016: the VP is unknown, a 50-50 Senate counts half
    with fresh_engine.begin() as conn:
        sen16 = publish_outputs(
            conn,
            _run(conn, 2016, "senate"),
            _posterior([i.replace("2020", "2016") for i in sen_ids], seed=5),
            _input(2016, "senate", [i.replace("2020", "2016") for i in sen_ids], states),
            seats_not_up={"DEM": 48, "REP": 48},
        )
    assert sen16.senate.vp_rule.startswith("unknown VP")
    assert sen16.senate.p_dem_control == pytest.approx(
        float((sen16.senate.dem_seats > 50).mean() + 0.5 * (sen16.senate.dem_seats == 50).mean())
    )


def test_outputs_roll_back_with_the_run(fresh_engine):
    states = ["AZ", "GA"]
    ids = [f"2022-senate-{s}-c3" for s in states]
    inp = _input(2022, "senate", ids + ["2022-senate-PA-c3"], states + ["PA"])
    with pytest.raises(ValueError, match="not in the posterior"):
        with fresh_engine.begin() as conn:
            _run(conn, 2022, "senate")
            publish_outputs(conn, 0, _posterior(ids, seed=6), inp, seats_not_up={"DEM": 50, "REP": 48})
    with fresh_engine.connect() as conn:
        assert _scalar(conn, "SELECT count(*) FROM forecast.runs") == 0


@pytest.mark.parametrize(("cycle", "vp_rule"), [(2018, "fixed REP"), (2022, "fixed DEM")])
def test_real_senate_race_list_and_seats_not_up_make_100(engine, loaded, cycle, vp_rule):
    """The model input's Senate races for a midterm plus the derived seats not up cover the Senate once;
    the tie-break is the sitting VP (Pence in 2018, Harris in 2022)."""
    from forecast_pipeline.model_input import build_model_input
    from forecast_pipeline.publish_outputs import build_outputs

    inp = build_model_input(engine, cycle, "senate", date(cycle, 11, 1))
    ids = inp.races["race_id"].astype(str).tolist()
    out = build_outputs(engine, _posterior(ids, seed=7, draws=300), inp, n_sims=2_000)
    assert len(ids) == 35 and out.senate.n_races == 35
    assert out.senate.seats_accounted == 100 and out.senate.vp_rule == vp_rule
    assert out.senate.seats_not_up == KNOWN_NOT_UP[cycle]
    assert out.senate.dem_seats.between(KNOWN_NOT_UP[cycle]["DEM"], KNOWN_NOT_UP[cycle]["DEM"] + 35).all()
