"""MRP: multilevel regression of two-party vote choice on respondent-level surveys, post-stratified on
the voter-file electorate.

Survey: The Upshot's respondent files (2004: 9,046 pre-election respondents; 2012: 13,069, pooled
Pew), restricted to two-party voters with known race, education and age. Respondents are collapsed to
cells (state x race_eth x edu5 x age4 x sex) and modelled with a binomial likelihood:

    dem[c] ~ Binomial(n[c], p[c])
    logit p[c] = a0 + b_prev z_prev[s] + b_rel z_rel[s]
                 + s_state a_state[s] + a_region[g]
                 + s_race a_race[r] + s_edu a_edu[e] + s_age a_age[k] + b_female female
                 + s_re a_race_edu[r, e] + s_rg a_race_region[r, g]
    a_* = s_* z_*, z_* ~ N(0, 1) (non-centred), s_* ~ HalfNormal(0.5); a_region ~ N(0, 0.5);
    a0, b_* ~ N(0, 1)

State predictors: z_prev = standardised logit of the state's previous presidential Democratic two-party
share (certified; the cycle before the survey, so no look-ahead), z_rel = standardised religiosity
(The Upshot's `religion.composite`); region = The Upshot's four regions. States with no respondent
get their effect from the predictors and the prior.

Post-stratification: p for every (state, cell) of `voterfile.composition_state` for the target cycle,
weighted by the expected voters (sum of modelled turnout scores); one state estimate per posterior draw
gives the mean, sd and 10%/90% quantiles. When the target cycle has no survey, the latest earlier
survey is used and the state predictors are taken at the target cycle (its own previous result).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy.special import expit, logit

from forecast_pipeline.voterfile import census

MODEL_VERSION = "mrp-1.1.0"
SURVEY_CYCLES = (2004, 2012)
REGIONS = ["east", "midwest", "south", "west"]
_VOTES = {2004: ("Kerry", "Bush"), 2012: ("Obama", "Romney")}


def survey_respondents(data_dir: Path, survey_cycle: int) -> pd.DataFrame:
    """Two-party voters with known cell: state, race_eth, edu5, age4, sex, dem (0/1), weight."""
    if survey_cycle not in SURVEY_CYCLES:
        raise ValueError(f"respondent surveys exist for {SURVEY_CYCLES}, not {survey_cycle}")
    raw = pd.read_csv(
        Path(data_dir) / "upshot-2004-2012-presidential-model" / str(survey_cycle) / "polls.csv",
        usecols=["state", "vote", "race_eth", "edu5", "age4", "sex", "weight"],
    )
    d, r = _VOTES[survey_cycle]
    raw = raw[raw["vote"].isin([d, r])].dropna(subset=["race_eth", "edu5", "age4", "sex"])
    out = pd.DataFrame(
        {
            "state": raw["state"].map(census.STATE_BY_NAME),
            "race_eth": raw["race_eth"].astype(str),
            "edu5": raw["edu5"].astype(str),
            "age4": raw["age4"].astype(int),
            "sex": raw["sex"].astype(str),
            "dem": (raw["vote"] == d).astype(int),
            "weight": raw["weight"].astype(float),
        }
    ).dropna(subset=["state"])
    return out.reset_index(drop=True)


def state_predictors(data_dir: Path, cycle: int) -> pd.DataFrame:
    """state (all 51), region, z_prev (previous presidential result, logit, standardised), z_rel."""
    sd = pd.read_csv(Path(data_dir) / "upshot-2004-2012-presidential-model" / "stateData.csv")
    frame = pd.DataFrame(
        {
            "state": sd["postal"].astype(str),
            "region": sd["alt.region"].astype(str),
            "religion": sd["religion.composite"].astype(float),
        }
    )
    res = census.presidential_results(data_dir)
    prev = res[res["year"] == cycle - 4].set_index("state")["dem_two_party"]
    frame["prev"] = frame["state"].map(prev)
    if frame["prev"].isna().any():
        raise ValueError(
            f"no {cycle - 4} presidential result for {list(frame.loc[frame['prev'].isna(), 'state'])}"
        )
    lp = logit(frame["prev"])
    frame["z_prev"] = (lp - lp.mean()) / lp.std()
    frame["z_rel"] = (frame["religion"] - frame["religion"].mean()) / frame["religion"].std()
    return frame.sort_values("state").reset_index(drop=True)


@dataclass
class MRPFit:
    survey_cycle: int
    idata: object
    states: list[str]
    predictors: pd.DataFrame
    n_respondents: int
    sampler: str
    draws: int
    chains: int
    seconds: float


def _index(values, levels) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(levels)}
    return np.array([lookup[v] for v in values])


def fit_mrp(
    respondents: pd.DataFrame,
    predictors: pd.DataFrame,
    survey_cycle: int,
    sampler: str = "nutpie",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 20261127,
    target_accept: float = 0.95,
) -> MRPFit:
    import pymc as pm

    cells = respondents.groupby(census.CELL_KEYS, as_index=False).agg(n=("dem", "size"), dem=("dem", "sum"))
    states = list(predictors["state"])
    region_of = dict(zip(predictors["state"], predictors["region"], strict=True))
    s_idx = _index(cells["state"], states)
    g_state = _index(predictors["region"], REGIONS)
    r_idx = _index(cells["race_eth"], census.RACES)
    e_idx = _index(cells["edu5"], census.EDUS)
    k_idx = _index(cells["age4"], census.AGES)
    g_idx = _index(cells["state"].map(region_of), REGIONS)
    female = (cells["sex"] == "Female").to_numpy().astype(float)
    coords = {
        "state": states,
        "region": REGIONS,
        "race": census.RACES,
        "edu": census.EDUS,
        "age": census.AGES,
    }
    with pm.Model(coords=coords):
        a0 = pm.Normal("a0", 0, 1)
        b_prev = pm.Normal("b_prev", 0, 1)
        b_rel = pm.Normal("b_rel", 0, 1)
        b_female = pm.Normal("b_female", 0, 1)
        terms = {}
        for name, dims in [
            ("state", ("state",)),
            ("race", ("race",)),
            ("edu", ("edu",)),
            ("age", ("age",)),
            ("race_edu", ("race", "edu")),
            ("race_region", ("race", "region")),
        ]:
            sigma = pm.HalfNormal(f"s_{name}", 0.5)
            z = pm.Normal(f"z_{name}", 0, 1, dims=dims)
            terms[name] = pm.Deterministic(f"a_{name}", sigma * z, dims=dims)
        # Four regions: a fixed effect (a scale estimated from four levels samples poorly).
        terms["region"] = pm.Normal("a_region", 0, 0.5, dims="region")
        state_eff = pm.Deterministic(
            "state_effect",
            b_prev * predictors["z_prev"].to_numpy()
            + b_rel * predictors["z_rel"].to_numpy()
            + terms["state"]
            + terms["region"][g_state],
            dims="state",
        )
        eta = (
            a0
            + state_eff[s_idx]
            + terms["race"][r_idx]
            + terms["edu"][e_idx]
            + terms["age"][k_idx]
            + b_female * female
            + terms["race_edu"][r_idx, e_idx]
            + terms["race_region"][r_idx, g_idx]
        )
        pm.Binomial("dem", n=cells["n"].to_numpy(), logit_p=eta, observed=cells["dem"].to_numpy())
        t0 = time.perf_counter()
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(chains, 2),
            random_seed=seed,
            target_accept=target_accept,
            nuts_sampler=sampler,
            progressbar=False,
        )
    return MRPFit(
        survey_cycle,
        idata,
        states,
        predictors,
        len(respondents),
        sampler,
        draws,
        chains,
        time.perf_counter() - t0,
    )


def _draws(fit: MRPFit, name: str) -> np.ndarray:
    x = fit.idata.posterior[name]
    return x.stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()


def poststratify(
    fit: MRPFit, poststrat: pd.DataFrame, predictors: pd.DataFrame | None = None
) -> pd.DataFrame:
    """State draws of the Democratic two-party share, summarised: state, mean, sd, q10, q90.

    `poststrat` has CELL_KEYS + `weight` (expected voters). `predictors` (default: the fit's) sets the
    state predictors, so a survey can be post-stratified on a later cycle with that cycle's covariates.
    """
    pred = predictors if predictors is not None else fit.predictors
    post = fit.idata.posterior
    g_state = _index(pred["region"], REGIONS)
    state_eff = (
        _draws(fit, "b_prev")[:, None] * pred["z_prev"].to_numpy()[None, :]
        + _draws(fit, "b_rel")[:, None] * pred["z_rel"].to_numpy()[None, :]
        + _draws(fit, "a_state")
        + _draws(fit, "a_region")[:, g_state]
    )
    ps = poststrat[poststrat["sex"].isin(census.SEXES)]
    ps = ps[ps["state"].isin(fit.states)].reset_index(drop=True)
    s_idx = _index(ps["state"], fit.states)
    r_idx = _index(ps["race_eth"], census.RACES)
    e_idx = _index(ps["edu5"], census.EDUS)
    k_idx = _index(ps["age4"], census.AGES)
    region_of = dict(zip(pred["state"], pred["region"], strict=True))
    g_idx = _index(ps["state"].map(region_of), REGIONS)
    female = (ps["sex"] == "Female").to_numpy().astype(float)
    eta = (
        _draws(fit, "a0")[:, None]
        + state_eff[:, s_idx]
        + _draws(fit, "a_race")[:, r_idx]
        + _draws(fit, "a_edu")[:, e_idx]
        + _draws(fit, "a_age")[:, k_idx]
        + _draws(fit, "b_female")[:, None] * female[None, :]
        + _draws(fit, "a_race_edu")[:, r_idx, e_idx]
        + _draws(fit, "a_race_region")[:, r_idx, g_idx]
    )
    del post
    p = expit(eta)
    w = ps["weight"].to_numpy()
    rows = []
    for s in sorted(ps["state"].unique()):
        m = (ps["state"] == s).to_numpy()
        d = (p[:, m] * w[m]).sum(axis=1) / w[m].sum()
        rows.append(
            (s, float(d.mean()), float(d.std()), float(np.quantile(d, 0.1)), float(np.quantile(d, 0.9)))
        )
    return pd.DataFrame(rows, columns=["state", "mean", "sd", "q10", "q90"])


def raw_state_means(respondents: pd.DataFrame) -> pd.DataFrame:
    """Survey-weighted Democratic two-party share by state, and the number of respondents."""
    g = respondents.assign(wd=respondents["dem"] * respondents["weight"]).groupby("state")
    return pd.DataFrame(
        {"raw_mean": g["wd"].sum() / g["weight"].sum(), "n_respondents": g.size()}
    ).reset_index()


def rmse(a: pd.Series, b: pd.Series) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def composition_poststrat(engine: sa.Engine, cycle: int) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(
            sa.text(
                "SELECT state_cd AS state, race_eth, educ_cd AS edu5, age4, sex, expected_voters AS weight "
                "FROM voterfile.composition_state WHERE cycle = :c"
            ),
            conn,
            params={"c": cycle},
        )
    if frame.empty:
        raise LookupError(
            f"voterfile.composition_state has no rows for {cycle}: generate and aggregate first"
        )
    frame["state"] = frame["state"].str.strip()
    frame["age4"] = frame["age4"].astype(int)
    return frame


def survey_cycle_for(cycle: int) -> int:
    usable = [c for c in SURVEY_CYCLES if c <= cycle]
    if not usable:
        raise ValueError(f"no respondent survey at or before {cycle}")
    return max(usable)


def run_mrp(
    engine: sa.Engine,
    data_dir: Path,
    cycle: int,
    survey_cycle: int | None = None,
    sampler: str = "nutpie",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    seed: int = 20261127,
    sample_size: int | None = None,
) -> dict:
    """Fit, post-stratify on the voter file of `cycle`, score against the certified result when the
    cycle has one, and store forecast.mrp_state_estimates / forecast.mrp_runs. Returns a summary."""
    survey_cycle = survey_cycle or survey_cycle_for(cycle)
    resp = survey_respondents(data_dir, survey_cycle)
    if sample_size and sample_size < len(resp):
        resp = resp.sample(n=sample_size, random_state=seed).reset_index(drop=True)
    fit = fit_mrp(
        resp, state_predictors(data_dir, survey_cycle), survey_cycle, sampler, draws, tune, chains, seed
    )
    est = poststratify(fit, composition_poststrat(engine, cycle), state_predictors(data_dir, cycle))
    est = est.merge(raw_state_means(resp), on="state", how="left")
    est["n_respondents"] = est["n_respondents"].fillna(0).astype(int)
    actual = census.presidential_results(data_dir)
    actual = actual[actual["year"] == cycle].set_index("state")["dem_two_party"]
    est["actual"] = est["state"].map(actual)
    scored = est.dropna(subset=["raw_mean", "actual"])
    summary_stats = _convergence(fit)
    doc = {
        "cycle": cycle,
        "survey_cycle": survey_cycle,
        "model_version": MODEL_VERSION,
        "n_respondents": fit.n_respondents,
        "sampler": sampler,
        "draws": draws,
        "chains": chains,
        "sampling_seconds": round(fit.seconds, 1),
        **summary_stats,
        "n_states_scored": len(scored),
        "rmse_mrp": rmse(scored["mean"], scored["actual"]) if len(scored) else None,
        "rmse_raw": rmse(scored["raw_mean"], scored["actual"]) if len(scored) else None,
    }
    store(engine, est, doc)
    doc["estimates"] = est
    return doc


def _convergence(fit: MRPFit) -> dict:
    import arviz as az

    names = [
        v for v in fit.idata.posterior.data_vars if v in ("a0", "a_region") or v[:2] in ("b_", "s_", "z_")
    ]
    summ = az.summary(fit.idata, var_names=names)
    div = int(fit.idata.sample_stats["diverging"].sum()) if "diverging" in fit.idata.sample_stats else 0
    return {
        "max_rhat": float(summ["r_hat"].max()),
        "min_ess_bulk": float(summ["ess_bulk"].min()),
        "divergences": div,
    }


def store(engine: sa.Engine, est: pd.DataFrame, doc: dict) -> None:
    key = {"c": doc["cycle"], "s": doc["survey_cycle"]}
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM forecast.mrp_state_estimates WHERE cycle = :c AND survey_cycle = :s"), key
        )
        conn.execute(sa.text("DELETE FROM forecast.mrp_runs WHERE cycle = :c AND survey_cycle = :s"), key)
        conn.execute(
            sa.text(
                "INSERT INTO forecast.mrp_state_estimates (cycle, survey_cycle, state, mean, sd, q10, q90, n_respondents,"
                " raw_mean, actual, model_version) VALUES (:c, :s, :state, :mean, :sd, :q10, :q90, :n, :raw, :actual, :v)"
            ),
            [
                {
                    **key,
                    "state": r.state,
                    "mean": r.mean,
                    "sd": r.sd,
                    "q10": r.q10,
                    "q90": r.q90,
                    "n": int(r.n_respondents),
                    "raw": None if pd.isna(r.raw_mean) else float(r.raw_mean),
                    "actual": None if pd.isna(r.actual) else float(r.actual),
                    "v": doc["model_version"],
                }
                for r in est.itertuples(index=False)
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO forecast.mrp_runs (cycle, survey_cycle, model_version, sampler, draws, chains, max_rhat,"
                " min_ess_bulk, divergences, rmse_mrp, rmse_raw, n_states_scored) VALUES (:c, :s, :v, :sampler,"
                " :draws, :chains, :rhat, :ess, :div, :rm, :rr, :ns)"
            ),
            {
                **key,
                "v": doc["model_version"],
                "sampler": doc["sampler"],
                "draws": doc["draws"],
                "chains": doc["chains"],
                "rhat": doc["max_rhat"],
                "ess": doc["min_ess_bulk"],
                "div": doc["divergences"],
                "rm": doc["rmse_mrp"],
                "rr": doc["rmse_raw"],
                "ns": doc["n_states_scored"],
            },
        )


def mrp_state_lean(engine: sa.Engine, cycle: int, survey_cycles: list[int] | None = None) -> pd.DataFrame:
    """The MRP demographic prior for a forecast of `cycle`, one row per state.

    Columns: state, dem_two_party_mean, dem_two_party_sd, q10, q90, lean (state mean minus the national
    mean weighted by the voter file's expected voters), survey_cycle. Uses the most recent survey at or
    before the cycle that was post-stratified on the cycle's voter file; `survey_cycles`, when given,
    restricts the choice to those surveys (the ones fielded by the forecast's as-of date, see
    ``forecast_pipeline.demographic_prior``). Raises LookupError when none.
    """
    allowed = [int(s) for s in (survey_cycles if survey_cycles is not None else SURVEY_CYCLES)]
    sql = sa.text("""
        WITH pick AS (
            SELECT max(survey_cycle) AS survey_cycle FROM forecast.mrp_state_estimates
            WHERE cycle = :c AND survey_cycle <= :c AND survey_cycle = ANY(:allowed)
        ), ev AS (
            SELECT state_cd AS state, sum(expected_voters) AS ev FROM voterfile.composition_state
            WHERE cycle = :c GROUP BY state_cd
        )
        SELECT e.state, e.mean AS dem_two_party_mean, e.sd AS dem_two_party_sd, e.q10, e.q90,
               e.mean - sum(e.mean * ev.ev) OVER () / sum(ev.ev) OVER () AS lean, e.survey_cycle
        FROM forecast.mrp_state_estimates e JOIN pick USING (survey_cycle)
        JOIN ev ON ev.state = e.state
        WHERE e.cycle = :c ORDER BY e.state
    """)
    with engine.connect() as conn:
        out = pd.read_sql(sql, conn, params={"c": cycle, "allowed": allowed})
    if out.empty:
        raise LookupError(
            f"no MRP estimates for {cycle} from surveys {allowed}: "
            f"run `forecast-pipeline voterfile mrp --cycle {cycle}`"
        )
    out["state"] = out["state"].str.strip()
    return out
