"""Assemble the model's prior centre and covariances for one forecast from pre-cycle data.

Everything is dated before the cycle: the fundamentals regressions (``fundamentals``), the state
similarity (``similarity``) and the historical polling errors (``polling_error``), each fitted on
earlier elections only. The model (``models.poll_model``) takes the result as plain arrays.

Covariances (logit scale, races i, j with offices o_i, o_j; rho = ``CROSS_OFFICE``)::

    prior_cov[i, j] = n_i n_j O[o_i, o_j] + r_i r_j P[i, j]      # fundamentals uncertainty
    bias_cov[i, j]  = b_n^2 O[o_i, o_j] + b_r(o_i) b_r(o_j) C[i, j]        (the t's scale; nu = 5)
    C[i, j] = state similarity(s_i, s_j) x (1 if o_i == o_j else rho),  O = 1 on the diagonal, rho off
    P[i, j] = w C[i, j] + (1 - w) [i == j] when both races are presidential, else [i == j]
    w = the kernel weight that maximises the likelihood of earlier cycles' lean changes
        (``similarity.lean_change_weight``: 0.825 for 2008, 0.85 for 2012 and 2016, 0.9 for 2020)

n = national predictive sd of the office's fundamentals (grows with days to the election for
president), r = sd of the race's own departure from its fundamentals, b_n / b_r = RMS national and
race polling errors of earlier cycles, used as the scale of a Student-t with 5 degrees of freedom
(``BIAS_SCALE_FACTOR``).

MRP (``demographic_prior``): when the database holds MRP state estimates for the cycle from surveys
fielded by the as-of date, their lean is one more similarity feature and the presidential state lean is
the precision-weighted average of the fundamentals and MRP leans; ``info["mrp"]`` records whether they
were used, which survey, and the weight. Otherwise the structure is the one without MRP.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline import demographic_prior, environment, fundamentals, similarity
from forecast_pipeline.models.config import PriorConfig
from forecast_pipeline.models.input import PriorStructure
from forecast_pipeline.polling_error import polling_error_scale
from forecast_pipeline.races import election_day

CROSS_OFFICE = 0.7  # correlation of a state's Senate/governor deviation with its presidential one
BIAS_NU = 5.0
# The fundamentals' error stays normal (None; ``prior_mix`` is the model's option for a t). 2.2.0 made it
# a t because the undamped Time-for-Change prior overshot Obama by 3 points in 2008 and a normal prior
# against a t polling error read that as a polling disaster. With the polarization damping (2.3.0) the
# 2008 prior is 0.4 points off, and on the 13 backtest rows the t prior no longer pays: pooled Brier
# 0.0420 with it, 0.0422 without (noise), RMSE 0.0325 vs 0.0322, and presidential 80% coverage 0.74 vs
# 0.81 (the t let the 2016 polls override a prior that was right). README, "How the 2.3.0 choices".
PRIOR_NU = None
# The historical RMS errors set the t's *scale* (factor 1), not its variance ((nu - 2) / nu = 0.6):
# a handful of cycles with heavy tails understates the spread, and with the variance matched the
# 80% intervals covered 73% and the 95% intervals 91% on the 2008-2020 presidential backtests
# (development cycles); see the README's backtest table.
BIAS_SCALE_FACTOR = 1.0

log = logging.getLogger(__name__)

_DOWNBALLOT_RESULTS_SQL = sa.text(
    """
    SELECT r.race_id, r.cycle, r.office, r.state, r.senate_class, k.name, k.party, sum(x.votes) AS votes
    FROM core.results x
    JOIN core.races r USING (race_id)
    JOIN core.candidates k USING (candidate_id)
    WHERE r.office IN ('senate', 'governor') AND r.district IS NULL AND r.state <> 'US'
      AND r.cycle <= :cycle
      AND (x.stage = 'general'
           OR (x.stage = 'jungle primary' AND NOT EXISTS (
                   SELECT 1 FROM core.results g WHERE g.race_id = x.race_id AND g.stage = 'general')))
    GROUP BY r.race_id, r.cycle, r.office, r.state, r.senate_class, k.name, k.party
    """
)


def later_presidential_results(engine: sa.Engine, before_cycle: int) -> pd.DataFrame:
    """Presidential state results after 2016 (the shared history file ends there) from core."""
    from forecast_pipeline.model_input import two_party_results

    rows = []
    for cycle in range(2020, before_cycle, 4):
        res = two_party_results(engine, cycle, "president")
        res = res[res["state"] != "US"]
        rows.append(
            pd.DataFrame(
                {
                    "cycle": cycle,
                    "state": res["state"],
                    "dem_two_party": res["dem_two_party"],
                    "two_party_votes": (res["dem_votes"] + res["rep_votes"]).astype(float),
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else None


def _environments(engine: sa.Engine, data_dir: str | Path, cycle: int, days: int) -> tuple[dict, dict]:
    """Generic-ballot environment (logit) of the cycle and of every training cycle, each taken the
    same number of days before its election as the forecast is, so the regression learns how much
    the generic ballot at this horizon says."""
    out, info = {}, {}
    for c in range(cycle - fundamentals.TRAIN_WINDOW_YEARS, cycle + 1, 2):
        env = environment.generic_environment(engine, data_dir, c, election_day(c) - timedelta(days=days))
        out[c] = environment.environment_logit(env)
        if c == cycle:
            info = (
                env.as_dict()
                if env
                else {"source": "none dated on or before the as-of date: midterm penalty"}
            )
    return out, info


def _office_matrix(offices: list[str], rho: float) -> np.ndarray:
    o = np.asarray(offices)
    return np.where(o[:, None] == o[None, :], 1.0, rho)


def build_structure(
    engine: sa.Engine,
    data_dir: str | Path,
    cycle: int,
    as_of: date,
    races: pd.DataFrame,
    priors: PriorConfig | None = None,
    use_mrp: bool = True,
) -> tuple[np.ndarray, PriorStructure]:
    """``races``: race_id, state, office (one row per race, in model order). Returns the prior
    centre (logit) per race and the structure. ``use_mrp=False`` ignores any MRP estimates."""
    from forecast_pipeline import history

    priors = priors or PriorConfig()
    days = max((election_day(cycle) - as_of).days, 0)
    later = later_presidential_results(engine, cycle)
    offices = races["office"].tolist()
    states = races["state"].tolist()
    if use_mrp:
        mrp, mrp_info = demographic_prior.load_mrp_lean(engine, data_dir, cycle, as_of, later)
    else:
        mrp, mrp_info = None, {"used": False, "reason": "disabled (use_mrp=False)"}
    if mrp is None:
        log.info("forecast %s as of %s without MRP: %s", cycle, as_of, mrp_info["reason"])
    state_corr = similarity.state_correlation(data_dir, cycle, later, None if mrp is None else mrp.lean_logit)
    mrp_info["similarity_feature"] = mrp is not None
    corr = similarity.race_correlation(state_corr, states, offices, CROSS_OFFICE)

    prior_logit = np.zeros(len(races))
    nat_sd = np.zeros(len(races))
    race_sd = np.zeros(len(races))
    info: dict = {
        "cycle": cycle,
        "days_to_election": days,
        "cross_office": CROSS_OFFICE,
        "bias_nu": BIAS_NU,
        "prior_nu": PRIOR_NU,
        "mrp": mrp_info,
    }
    pres = (races["office"] == "president").to_numpy()
    if pres.any():
        p, pinfo = fundamentals.presidential_prior(
            data_dir, cycle, races.loc[pres, "state"].tolist(), days, later
        )
        prior_logit[pres] = p["prior_logit"].to_numpy()
        nat_sd[pres] = pinfo["national_sd_logit"]
        race_sd[pres] = pinfo["state_sd_logit"]
        info["president"] = pinfo
        mrp_info["prior_weight_mrp"] = 0.0
        if mrp is not None and mrp.error_sd_logit is not None:
            fund = pd.Series(p["lean"].to_numpy(), index=p["state"].to_numpy())
            combined, w = demographic_prior.precision_weighted_lean(
                fund, mrp.lean_logit, pinfo["state_sd_logit"], mrp.error_sd_logit
            )
            prior_logit[pres] = p["prior_logit"].to_numpy() - fund.to_numpy() + combined.to_numpy()
            mrp_info["prior_weight_mrp"] = w
            mrp_info["fundamentals_lean_sd_logit"] = pinfo["state_sd_logit"]
            mrp_info["states_fundamentals_only"] = sorted(
                set(fund.index) - set(mrp.lean_logit.dropna().index)
            )
        elif mrp is not None:
            mrp_info["prior_note"] = "no earlier cycle with MRP estimates to calibrate the MRP lean's error"
    down = ~pres
    if down.any():
        with engine.connect() as conn:
            results = pd.read_sql(_DOWNBALLOT_RESULTS_SQL, conn, params={"cycle": cycle})
        hist_all = history.presidential_history(data_dir, cycle, later)
        env, env_info = _environments(engine, data_dir, cycle, days)
        d, dinfo = fundamentals.downballot_prior(
            results, hist_all, cycle, races.loc[down, "race_id"].tolist(), env
        )
        dinfo["generic_ballot"] = env_info
        prior_logit[down] = d["prior_logit"].to_numpy()
        nat_sd[down] = dinfo["national_sd_logit"]
        race_sd[down] = dinfo["state_sd_logit"]
        info["downballot"] = dinfo
        info["incumbency"] = {
            r: {"seat_party": int(sp), "incumbent_running": int(ir)}
            for r, sp, ir in zip(d["race_id"], d["seat_party"], d["incumbent_running"], strict=True)
        }

    office_m = _office_matrix(offices, CROSS_OFFICE)
    # A down-ballot race's departure from its regression (candidates, scandals, money) is its own:
    # on 2000-2022 the within-cycle residuals of pairs of races have correlation -0.04..0.00 in every
    # similarity bin (0-0.3 .. 0.7-0.85), so only presidential leans keep the similarity correlation.
    # With it, the prior was too sure of a common pattern and the shared t-weight of the polling
    # error absorbed every poll-prior disagreement (bias_mix ~0.2 in the 2010 Senate backtest).
    # Presidential leans keep it, at the kernel weight their own history supports (w K + (1 - w) I).
    both_pres = np.outer(pres, pres)
    lean_w = 1.0
    if pres.any():
        lean_w, info["lean_kernel_weight"] = similarity.lean_change_weight(data_dir, cycle, later)
    prior_corr = np.where(both_pres, lean_w * corr + (1.0 - lean_w) * np.eye(len(races)), np.eye(len(races)))
    prior_cov = np.outer(nat_sd, nat_sd) * office_m + np.outer(race_sd, race_sd) * prior_corr

    b_nat = np.zeros(len(races))
    b_race = np.zeros(len(races))
    info["polling_error"] = {}
    for office in sorted(set(offices)):
        m = (races["office"] == office).to_numpy()
        try:
            sc = polling_error_scale(engine, cycle, office)
        except ValueError:
            # a database without earlier cycles (a partial load): the documented defaults, recorded
            b_nat[m] = priors.polling_error_national_sd
            b_race[m] = priors.polling_error_race_sd
            info["polling_error"][office] = {
                "source": "PriorConfig defaults: no earlier cycle in the database"
            }
            continue
        b_nat[m] = sc.national_sd_logit
        b_race[m] = sc.race_sd_logit
        info["polling_error"][office] = {
            "national_sd_logit": sc.national_sd_logit,
            "race_sd_logit": sc.race_sd_logit,
            "n_cycles": sc.n_cycles,
            "n_races": sc.n_races,
        }
    bias_cov = (np.outer(b_nat, b_nat) * office_m + np.outer(b_race, b_race) * corr) * BIAS_SCALE_FACTOR
    structure = PriorStructure(
        prior_cov=prior_cov,
        bias_cov=bias_cov,
        race_corr=corr,
        walk_national_sd=priors.national_walk_sd,
        walk_race_sd=priors.race_walk_sd,
        bias_nu=BIAS_NU,
        prior_nu=PRIOR_NU,
        info=info,
    )
    return prior_logit, structure
