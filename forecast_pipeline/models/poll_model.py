"""State poll model (v2): latent Democratic two-party support per race on the logit scale, a reverse
random walk anchored at Election Day, a fundamentals prior for Election Day, and a correlated,
fat-tailed systematic polling error that the polls share and cannot see.

Pure PyMC; no Dagster, no SQL. Input is a :class:`~forecast_pipeline.models.input.ModelInput` whose
``structure`` (a :class:`PriorStructure`, built from pre-cycle data by ``forecast_pipeline.structure``)
holds the covariances; output an ``xarray.DataTree`` with run attrs attached by :func:`fit`.

Model (r = race, k = knot every ``walk_step_days`` days back from Election Day, i = poll)::

    # Election Day (Economist-style: the prior is on the truth, polls see truth + bias)
    truth[r] = prior[r] + e_T[r],           e_T  ~ MvN(0, prior_cov / v)        # fundamentals
        v ~ Gamma(nu_p/2, nu_p/2) when ``structure.prior_nu`` is set (a t), else v = 1 (the default)
    bias[r]  ~ MvN(0, bias_cov / w),        w ~ Gamma(nu/2, nu/2)               # multivariate t
    s[r]     = truth[r] + bias[r]                                                # what polls see
    # reverse random walk of the poll-visible latent
    mu[r, K-1] = s[r];  mu[r, k] = mu[r, k+1] + nat_step[k] + race_step[r, k]
        nat_step ~ N(0, sqrt(step) walk_national_sd)
        race_step[:, k] = sqrt(step) walk_race_sd (I - 11'/R) L z_k,  L L' = race_corr
    # polls (state; national polls average the races on the probability scale with turnout weights)
    eta_i = mu[r_i, t_i] + house[h_i] + population[q_i] + mode[m_i] + sponsor[p_i]
    y_i ~ N(inv_logit(eta_i), sqrt(p_i (1 - p_i) / n_eff_i + sigma_extra^2))
    election_day_share[r] = inv_logit(truth[r])

House effects are ZeroSumNormal (sd learned); population, mode and partisan-sponsor effects N(0, .04).
With ``PriorConfig.adjust_to="poll"`` (default) the zero-sum house and mode effects are re-centred on
their poll-weighted mean, so the average *poll*, not the average pollster, gets no adjustment.

How it is parameterised. ``prior_cov`` and ``bias_cov`` are diagonalised together once, in numpy:
G G' = prior_cov and G diag(D) G' = bias_cov (``joint_basis``). Then, with u ~ N(0, 1/v + D/w),
ratio = D v / w and z ~ N(0, 1) independent::

    s     = prior + G u
    truth = prior + G (u / (1 + ratio) + sqrt(ratio / (1 + ratio) / v) z)

which is exactly the joint law above for every w and v, with no matrix factorisation in the graph. The
polls pin u (centred is right for it), z is the part of the truth the polls cannot see, and the weight
the polls get against the prior (1 / (1 + ratio) per direction) comes out of the model: it is larger the
smaller the historical polling error is relative to the fundamentals' uncertainty. Race walks are
centred across races so the national walk alone carries their mean (no national-vs-mean-race ridge);
the national walk is centred with >= NATIONAL_CENTRED_MIN_POLLS_PER_KNOT national polls per knot, else
non-centred. The choices are recorded in the posterior attrs.

Which polls are used (the model filters; the caller need not): polls ending before the window start
(``PriorConfig.max_days`` before Election Day) are dropped, as are rows with unusable numbers,
state polls for races not in ``inp.races``, national polls when they cannot be linked, the RV or adult
version of a poll whose LV version is there (``PriorConfig.one_population_version``), and, with
``PriorConfig.thin_overlapping_releases`` (off by default), the releases of a tracking series whose
field period overlaps a later kept release of the same series (``input.overlapping_releases``). Every
drop is counted in the posterior attrs (``n_polls_dropped_*``), never silent.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from forecast_pipeline.models.config import PriorConfig, SamplerConfig, config_hash
from forecast_pipeline.models.input import (
    ModelInput,
    PriorStructure,
    overlapping_releases,
    population_versions,
)

MODEL_TYPE = "state_poll_rw"
# 2.1.0: the down-ballot prior reads the generic ballot and its race departures are independent
# (structure.py); a posterior fitted under 2.0.0 priors is refused rather than mixed in.
# 2.2.0: the fundamentals' error is a Student-t (prior_mix), and the campaign still to come shrinks
# the as-of level towards the prior (2.1.0 had the sign reversed).
# 2.3.0: the presidential national prior is damped by polarization (ANES swing voters; fundamentals.py),
# and the fundamentals' error is normal again by default (structure.PRIOR_NU).
# 2.4.0: the presidential leans' prior correlation is w K + (1 - w) I with w fitted on earlier cycles'
# lean changes (similarity.lean_change_weight), not the similarity kernel K alone.
# 2.5.0: the model is unchanged, its polling-error scale is not: the history of past misses counts only
# races whose two leaders were a Democrat and a Republican, and the Stanford file's races whose parties
# are swapped are rejected at loading (governor race scale 0.20 -> 0.13 logit, Senate 0.15 -> 0.14).
# 2.5.1: the same model; the polling-error history reads the certified counts of three races whose counts
# in 538's results are partial (results_errata.csv: 2006 New Jersey Senate's miss was 0.20 logit on the
# partial count, about 0.03 on the certified one), and the Stanford lines of 2006 New Jersey and West
# Virginia Senate, rejected against those partial counts, are loaded.
# 2.5.2: the option to count a tracking series' overlapping releases once
# (``PriorConfig.thin_overlapping_releases``, off by default: the backtests decided against it).
# 2.6.0: one count per poll: of a poll's LV and RV (or adult) versions only the LV one is used
# (``PriorConfig.one_population_version``), in the model, the polling-error history and the baseline.
# 2.7.0: the down-ballot prior's scales are out-of-sample errors (each training cycle predicted by the
# regression fitted on the others; fundamentals.fit_downballot): its shared part rises from 0.05-0.08 to
# 0.07-0.14 logit, so Senate and governor fits learn more of the national environment from the polls.
# 2.7.1: the same model, sampled differently: with national polls the national walk is centred on
# absolute levels (anchored at the as-of national level); the 2020 presidential fit 30 days out had
# national-walk bulk ESS 80-107 and r-hat up to 1.05 non-centred (fails the publish gate in 2 of 3
# seeds), 173-176 and <= 1.018 this way, and samples faster.
# 2.7.2: the same density, written as an MvNormal with the walk's triangular Cholesky factor instead
# of pm.GaussianRandomWalk, whose logp graph made nutpie's compile print a pytensor rewrite traceback
# (int8 overflow in local_subtensor_merge_slice at 150+ steps) on every presidential fit.
MODEL_VERSION = "2.7.2"

POPULATIONS = ("lv", "rv", "a", "v", "unknown")  # lv is the reference (effect 0)
MODES = ("live_phone", "online", "ivr_text", "mixed", "other", "unknown")  # live phone = reference
UNKNOWN_POLLSTER = "(unknown)"
# Parameterisation switches, chosen from the data (the prior is the same either way; measured in
# benchmarks/bench_poll_model.py and the unit tests). House effects are centred when there are at
# least HOUSE_CENTRED_MIN_POLLSTERS pollsters and HOUSE_CENTRED_MIN_POLLS_PER_POLLSTER polls per
# pollster on average, else non-centred; the national walk is centred when there are at least
# NATIONAL_CENTRED_MIN_POLLS_PER_KNOT polls per random-walk knot, else non-centred.
HOUSE_CENTRED_MIN_POLLSTERS = 10
HOUSE_CENTRED_MIN_POLLS_PER_POLLSTER = 5
# 2.7.1: centred on absolute levels (see _build). The old centred form, levels relative to the as-of
# knot, had ESS 29 against 117 non-centred in 2020 (500 draws); Senate and governor fits have no
# national polls and stay non-centred.
NATIONAL_CENTRED_MIN_POLLS_PER_KNOT = 1.0
# house_sd ~ Gamma(shape 4, mean house_sd_mean): keeps the sd off zero (no funnel neck) with few
# pollsters; 95% prior interval 0.27x - 2.2x the mean.
HOUSE_SD_SHAPE = 4.0

# Free parameters of the model, for diagnostics (``summarize.diagnostics``). Which of them exist
# depends on the data (parameterisation switches; no house effects with a single pollster); absent
# names are skipped. national_level_back and house_effect are deterministic (house_effect is the
# zero-sum house_zs / house_z re-centred on the average poll) and are checked through them.
FREE_PARAMETERS = (
    "bias_mix",
    "prior_mix",
    "poll_level_asof",
    "truth_given_polls_z",
    "campaign_to_come_z",
    "national_walk",
    "national_walk_z",
    "race_walk_z",
    "house_sd",
    "house_z",
    "house_zs",
    "population_z",
    "mode_z",
    "sponsor_z",
    "sigma_extra",
)


# --------------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedData:
    """Arrays and coords the PyMC graph is built from (all plain numpy / Python str)."""

    race_ids: list[str]
    prior_logit: np.ndarray  # [R]
    weights: np.ndarray  # [R], sum 1 (zeros if national polls cannot be linked)
    days: list[str]  # ISO dates, grid start .. Election Day inclusive
    knot_pos: np.ndarray  # [K] day index of each knot (ascending; last = Election Day)
    knot_labels: list[str]  # ISO date of each knot (may precede the grid start)
    pollsters: list[str]
    poll_ids: list[str]  # state polls first, then national polls
    n_state: int  # number of state polls (first rows of the poll arrays)
    poll_race: np.ndarray  # [N] race index (-1 for national)
    poll_day: np.ndarray  # [N] day index on the grid
    poll_pollster: np.ndarray  # [N]
    poll_population: np.ndarray  # [N] index into POPULATIONS
    y: np.ndarray  # [N] Dem two-party share of the poll
    n_eff: np.ndarray  # [N] two-party sample size
    poll_mode: np.ndarray  # [N] index into MODES
    poll_sponsor: np.ndarray  # [N] 0 none, 1 DEM-sponsored, 2 REP-sponsored
    structure: PriorStructure
    days_to_election: int  # from the last grid day (as-of) to Election Day
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def n_nat_polls_per_knot(self) -> float:
        return (self.n_polls - self.n_state) / max(len(self.knot_pos) - 1, 1)

    @property
    def n_polls(self) -> int:
        return len(self.poll_ids)

    def polls_per_race(self) -> np.ndarray:
        """Number of the race's own (state) polls the model uses, [R]."""
        return np.bincount(self.poll_race[: self.n_state], minlength=len(self.race_ids))


def _as_str_list(values) -> list[str]:
    return [str(v) for v in values]


def _knots(n_days: int, step: int) -> np.ndarray:
    """Knot day indices counted back from the as-of day (index n_days-1); the first knot is <= 0."""
    n_steps = max(1, math.ceil((n_days - 1) / step))
    return (n_days - 1) - step * np.arange(n_steps, -1, -1)


def prepare_data(inp: ModelInput, priors: PriorConfig) -> PreparedData:
    """Validate ``inp`` and turn it into index arrays on the daily grid (see module doc for drops)."""
    if inp.as_of > inp.election_day:
        raise ValueError(f"as_of {inp.as_of} is after election_day {inp.election_day}")
    races = inp.races.reset_index(drop=True)
    if races.empty:
        raise ValueError("ModelInput has no races")
    race_ids = _as_str_list(races["race_id"])
    if len(set(race_ids)) != len(race_ids):
        raise ValueError("duplicate race_id in inp.races")
    prior = races["prior_dem_share"].astype("float64").to_numpy()
    if not np.all((prior > 0) & (prior < 1)):
        raise ValueError("prior_dem_share must be strictly inside (0, 1) for every race")
    prior_logit = np.log(prior) - np.log1p(-prior)
    w = np.nan_to_num(races["turnout_weight"].astype("float64").to_numpy(), nan=0.0)
    if np.any(w < 0):
        raise ValueError("turnout_weight must be >= 0")
    weights = w / w.sum() if w.sum() > 0 else np.zeros_like(w)

    ed = pd.Timestamp(inp.election_day)
    window_start = ed - pd.Timedelta(days=priors.max_days)
    dropped = {"window": 0, "invalid": 0, "unknown_race": 0, "national": 0, "version": 0, "overlap": 0}

    polls = inp.polls.reset_index(drop=True).copy()
    if len(polls):
        end = pd.to_datetime(polls["end_date"]).dt.normalize()
        dem = polls["dem_pct"].astype("float64")
        rep = polls["rep_pct"].astype("float64")
        n = polls["sample_size"].astype("float64")
        valid = (
            dem.notna()
            & rep.notna()
            & n.notna()
            & (dem >= 0)
            & (rep >= 0)
            & (dem + rep > 0)
            & (n > 0)
            & end.notna()
        ).to_numpy(dtype=bool)
        in_window = (end >= window_start).to_numpy(dtype=bool)
        is_nat = polls["is_national"].astype(bool).to_numpy()
        race_col = polls["race_id"].astype(object).where(polls["race_id"].notna(), None)
        race_set = set(race_ids)
        known = np.array([(r is not None and str(r) in race_set) for r in race_col], dtype=bool)
        use_nat = priors.use_national_polls and weights.sum() > 0
        drop_invalid = ~valid
        drop_window = valid & ~in_window
        keep = valid & in_window
        drop_nat = keep & is_nat & (not use_nat)
        drop_race = keep & ~is_nat & ~known
        keep = keep & ~drop_nat & ~drop_race
        version = np.zeros(len(polls), dtype=bool)
        if priors.one_population_version:
            version[np.flatnonzero(keep)] = population_versions(polls.loc[keep])
        keep = keep & ~version
        overlap = np.zeros(len(polls), dtype=bool)
        if priors.thin_overlapping_releases:
            overlap[np.flatnonzero(keep)] = overlapping_releases(polls.loc[keep])
        keep = keep & ~overlap
        dropped = {
            "window": int(drop_window.sum()),
            "invalid": int(drop_invalid.sum()),
            "unknown_race": int(drop_race.sum()),
            "national": int(drop_nat.sum()),
            "version": int(version.sum()),
            "overlap": int(overlap.sum()),
        }
        polls = polls.loc[keep].assign(_end=end[keep], _nat=is_nat[keep])
        # state polls first (stable order by race, date, id), then national polls
        race_index = {r: i for i, r in enumerate(race_ids)}
        polls["_race_idx"] = [
            -1 if nat else race_index[str(r)] for nat, r in zip(polls["_nat"], polls["race_id"], strict=True)
        ]
        polls = polls.sort_values(["_nat", "_race_idx", "_end", "poll_id"], kind="stable")
    else:
        polls = polls.assign(
            _end=pd.Series(dtype="datetime64[ns]"),
            _nat=pd.Series(dtype=bool),
            _race_idx=pd.Series(dtype="int64"),
        )

    if len(polls):
        grid_start = max(polls["_end"].min(), window_start)
    else:
        grid_start = min(pd.Timestamp(inp.as_of), ed)
    grid_end = min(pd.Timestamp(inp.as_of), ed)
    n_days = int((grid_end - grid_start).days) + 1
    days = [(grid_start.date() + timedelta(days=i)).isoformat() for i in range(n_days)]
    knot_pos = _knots(n_days, priors.walk_step_days)
    knot_labels = [(grid_start.date() + timedelta(days=int(k))).isoformat() for k in knot_pos]

    poll_ids = _as_str_list(polls["poll_id"])
    if len(set(poll_ids)) != len(poll_ids):
        raise ValueError("duplicate poll_id among the polls used")
    pollster_col = [
        UNKNOWN_POLLSTER if (p is None or (isinstance(p, float) and np.isnan(p))) else str(p)
        for p in polls["pollster"].astype(object)
    ]
    pollsters = sorted(set(pollster_col))
    pollster_index = {p: i for i, p in enumerate(pollsters)}
    pop_col = [
        str(p).strip().lower() if isinstance(p, str) else "unknown"
        for p in polls["population"].astype(object)
    ]
    pop_idx = np.array(
        [POPULATIONS.index(p) if p in POPULATIONS else POPULATIONS.index("unknown") for p in pop_col],
        dtype=np.int64,
    )
    dem = polls["dem_pct"].astype("float64").to_numpy()
    rep = polls["rep_pct"].astype("float64").to_numpy()
    n = polls["sample_size"].astype("float64").to_numpy()
    modes = polls["mode"] if "mode" in polls.columns else pd.Series([None] * len(polls), index=polls.index)
    mode_idx = np.array([MODES.index(_collapse_mode(m)) for m in modes.astype(object)], dtype=np.int64)
    partisan = (
        polls["partisan"]
        if "partisan" in polls.columns
        else pd.Series([None] * len(polls), index=polls.index)
    ).astype(object)
    sponsor_idx = np.array(
        [
            1 if str(v).upper().startswith("DEM") else 2 if str(v).upper().startswith("REP") else 0
            for v in partisan
        ],
        dtype=np.int64,
    )
    structure = inp.structure if inp.structure is not None else default_structure(races, priors)

    return PreparedData(
        race_ids=race_ids,
        prior_logit=prior_logit,
        weights=weights,
        days=days,
        knot_pos=knot_pos.astype(np.int64),
        knot_labels=knot_labels,
        pollsters=pollsters,
        poll_ids=poll_ids,
        n_state=int((~polls["_nat"].astype(bool)).sum()),
        poll_race=polls["_race_idx"].to_numpy(dtype=np.int64),
        poll_day=((polls["_end"] - grid_start).dt.days).to_numpy(dtype=np.int64),
        poll_pollster=np.array([pollster_index[p] for p in pollster_col], dtype=np.int64),
        poll_population=pop_idx,
        y=dem / (dem + rep),
        n_eff=n * (dem + rep) / 100.0,
        poll_mode=mode_idx,
        poll_sponsor=sponsor_idx,
        structure=structure,
        days_to_election=int((ed - grid_end).days),
        dropped=dropped,
    )


def _interp_index(days: np.ndarray, knot_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each day index: the knot at or before it (``lo``, so ``lo + 1`` is after) and the weight of
    ``lo + 1`` in the linear interpolation."""
    step = int(knot_pos[1] - knot_pos[0])
    lo = np.clip(np.searchsorted(knot_pos, days, side="right") - 1, 0, len(knot_pos) - 2)
    frac = (days - knot_pos[lo]) / step
    return lo.astype(np.int64), frac.astype(np.float64)


# --------------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------------


def build_model(inp: ModelInput, priors: PriorConfig | None = None) -> pm.Model:
    """Build the PyMC model for ``inp`` (pure and deterministic: same input and priors, same graph)."""
    priors = PriorConfig() if priors is None else priors
    d = prepare_data(inp, priors)
    return _build(d, priors)


def default_structure(races: pd.DataFrame, priors: PriorConfig) -> PriorStructure:
    """The structure implied by the scalar ``PriorConfig`` (independent races plus one shared
    national term): used for synthetic data and when no pre-cycle history is available."""
    r = len(races)
    ones = np.ones((r, r))
    eye = np.eye(r)
    return PriorStructure(
        prior_cov=priors.national_shift_sd**2 * ones + priors.race_dev_sd**2 * eye,
        bias_cov=priors.polling_error_national_sd**2 * ones + priors.polling_error_race_sd**2 * eye,
        race_corr=eye,
        walk_national_sd=priors.national_walk_sd,
        walk_race_sd=priors.race_walk_sd,
        bias_nu=priors.polling_error_nu,
        info={"source": "PriorConfig defaults"},
    )


def _jitter_chol(m: np.ndarray) -> np.ndarray:
    m = 0.5 * (m + m.T)
    jitter = 1e-9 * float(np.mean(np.diag(m)))
    for _ in range(8):
        try:
            return np.linalg.cholesky(m + jitter * np.eye(len(m)))
        except np.linalg.LinAlgError:
            jitter *= 10.0
    raise ValueError("covariance is not positive definite even with jitter")


def joint_basis(prior_cov: np.ndarray, bias_cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G, D with G G' = prior_cov and G diag(D) G' = bias_cov (simultaneous diagonalisation).

    With this basis the poll-visible Election-Day latent s = truth + bias and the truth itself are
    elementwise-scaled combinations of independent normals for any Student-t mixing weight w, so
    the sampler never factorises a matrix (see the module doc)."""
    chol = _jitter_chol(prior_cov)
    inv = np.linalg.inv(chol)
    m = inv @ (0.5 * (bias_cov + bias_cov.T)) @ inv.T
    d, q = np.linalg.eigh(0.5 * (m + m.T))
    return chol @ q, np.clip(d, 0.0, None)


def _collapse_mode(value) -> str:
    v = str(value).lower() if isinstance(value, str) else ""
    if not v:
        return "unknown"
    if "live" in v and ("online" in v or "text" in v or "ivr" in v or "/" in v):
        return "mixed"
    if "live" in v or v == "phone":
        return "live_phone"
    if "ivr" in v or "automated" in v or "text" in v:
        return "ivr_text"
    if "online" in v or "internet" in v or "panel" in v or "web" in v:
        return "online"
    return "other"


def _s_logp(value, prior, g, g_inv, dvec, w, v):
    """log density of s = prior + G u, u_k ~ N(0, 1 / v + D_k / w) (the Jacobian |det G^-1| is a
    constant of the data and is included)."""
    u = pt.dot(g_inv, value - prior)
    var = 1.0 / v + dvec / w
    n = value.shape[-1]
    _, logdet = pt.linalg.slogdet(g_inv)
    return -0.5 * pt.sum(u**2 / var + pt.log(var), axis=-1) - 0.5 * n * np.log(2 * np.pi) + logdet


def _s_random(prior, g, g_inv, dvec, w, v, rng=None, size=None):
    shape = tuple(size or ()) + (len(dvec),) if size is not None else np.shape(prior)
    z = rng.normal(size=shape) * np.sqrt(1.0 / v + dvec / w)
    return prior + z @ np.asarray(g).T


def _poll_share(idx: np.ndarray, n_levels: int) -> np.ndarray:
    """Share of the polls at each level [n_levels]: the weights of the average *poll*."""
    return np.bincount(np.asarray(idx, dtype=np.int64), minlength=n_levels) / max(len(idx), 1)


def _poll_centred(raw, idx: np.ndarray, n_levels: int):
    """``raw`` (zero-sum over levels) minus its poll-weighted mean: the average *poll* gets no
    adjustment, not the average level. A linear map that is one-to-one on the zero-sum subspace, so
    the effects stay identified."""
    return raw - pt.dot(pt.as_tensor(_poll_share(idx, n_levels)), raw)


def _offsets(
    name: str, idx: np.ndarray, n_levels: int, sd: float, reference: int | None, poll_weighted: bool = False
):
    """Effects [n_levels] (0 for absent levels) for the levels present in ``idx``: relative to
    ``reference`` when it is present, else sum-to-zero over the present levels (over the polls when
    ``poll_weighted``)."""
    present = sorted(set(int(i) for i in idx))
    if len(present) < 2:
        return pm.Deterministic(f"{name}_effect", pt.zeros(n_levels), dims=name)
    if reference is not None and reference in present:
        free = [i for i in present if i != reference]
        z = pm.Normal(f"{name}_z", 0.0, 1.0, shape=len(free))
        vals = pt.set_subtensor(pt.zeros(n_levels)[np.array(free)], sd * z)
    else:
        z = pm.ZeroSumNormal(f"{name}_z", sigma=1.0, shape=len(present))
        vals = pt.set_subtensor(pt.zeros(n_levels)[np.array(present)], sd * z)
        if poll_weighted:
            vals = _poll_centred(vals, idx, n_levels)
    return pm.Deterministic(f"{name}_effect", vals, dims=name)


def _build(d: PreparedData, priors: PriorConfig) -> pm.Model:
    R, K = len(d.race_ids), len(d.knot_pos)
    st = d.structure
    step_scale = math.sqrt(priors.walk_step_days)
    G, D = joint_basis(st.prior_cov, st.bias_cov)
    coords = {
        "race": d.race_ids,
        "basis": [f"b{i}" for i in range(R)],
        "day": d.days,
        "knot": d.knot_labels,
        "knot_back": d.knot_labels[::-1],
        "step": d.knot_labels[:-1],
        "pollster": d.pollsters,
        "population": list(POPULATIONS),
        "mode": list(MODES),
        "sponsor": ["DEM", "REP"],
        "poll": d.poll_ids,
    }
    with pm.Model(coords=coords) as model:
        # ---- Election Day truth and the poll-visible latent on the as-of day ---------------------------
        # s_asof = truth - fwd + bias, where fwd is the walk from as-of to Election Day (no data, so it
        # is integrated out exactly): T' = truth - fwd ~ N(prior, A + F) and bias are diagonalised
        # together, and truth | T' is a fixed linear-Gaussian map (module doc).
        R_ = R
        centre = np.eye(R_) - np.ones((R_, R_)) / R_
        walk_cov_day = (
            st.walk_national_sd**2 * np.ones((R_, R_)) + st.walk_race_sd**2 * centre @ st.race_corr @ centre
        )
        F = d.days_to_election * walk_cov_day
        A = st.prior_cov
        G, D = joint_basis(A + F, st.bias_cov)
        nu = float(st.bias_nu)
        w = pm.Gamma("bias_mix", alpha=nu / 2.0, beta=nu / 2.0)  # Student-t mixing, shared by races
        # The fundamentals' error is fat-tailed too (its own mixing weight v): with a Gaussian prior
        # against a t polling error, any poll-prior disagreement reads as a polling disaster and the
        # polls are discounted everywhere (2008: bias_mix 0.4, Missouri held 2.6 points above 36
        # polls by a Time-for-Change prior that overshot Obama by 3). v scales A + F together, which
        # keeps the joint diagonalisation exact.
        if st.prior_nu is not None:
            v = pm.Gamma("prior_mix", alpha=st.prior_nu / 2.0, beta=st.prior_nu / 2.0)
        else:
            v = pt.as_tensor(1.0)
        ratio = pt.as_tensor(D) * v / w  # bias/prior variance per direction
        # s is sampled in race space (each race's polls pin its own coordinate: a near-diagonal
        # posterior); its density is evaluated through u = G^-1 (s - prior), u_k ~ N(0, 1 + D_k / w).
        G_inv = np.linalg.inv(G)
        s_asof = pm.CustomDist(
            "poll_level_asof",
            pt.as_tensor(d.prior_logit),
            pt.as_tensor(G),
            pt.as_tensor(G_inv),
            pt.as_tensor(D),
            w,
            v,
            logp=_s_logp,
            random=_s_random,
            signature="(r),(r,r),(r,r),(r),(),()->(r)",
            dims="race",
        )
        u = pt.dot(pt.as_tensor(G_inv), s_asof - pt.as_tensor(d.prior_logit))
        z_c = pm.Normal("truth_given_polls_z", 0.0, 1.0, dims="basis")
        Gt = pt.as_tensor(G)
        prior_t = pt.as_tensor(d.prior_logit)
        t_prime = prior_t + pt.dot(Gt, u / (1.0 + ratio) + pt.sqrt(ratio / (1.0 + ratio) / v) * z_c)
        pm.Deterministic("polling_error", s_asof - t_prime, dims="race")
        if d.days_to_election > 0:
            # truth and the walk still to come are independent, so truth | T' = prior + A (A+F)^-1
            # (T' - prior) + N(0, A (A+F)^-1 F): the as-of level is shrunk back toward the prior, by
            # the share of its variance that is campaign still to come (model 2.1.0 had the sign of
            # that correction reversed, which pushed early forecasts away from the prior)
            af_inv = np.linalg.inv(A + F)
            gain = F @ af_inv
            cond = F - F @ af_inv @ F
            z_f = pm.Normal("campaign_to_come_z", 0.0, 1.0, dims="race")
            truth_ed = (
                t_prime
                - pt.dot(pt.as_tensor(gain), t_prime - prior_t)
                + pt.dot(pt.as_tensor(_jitter_chol(cond)), z_f) / pt.sqrt(v)
            )
        else:
            truth_ed = t_prime
        ed_share = pm.Deterministic("election_day_share", pm.math.invlogit(truth_ed), dims="race")

        # ---- reverse random walk from as-of: shared national walk + correlated race walks -----------
        nat_step_sd = step_scale * st.walk_national_sd
        if K >= 3 and d.n_nat_polls_per_knot >= NATIONAL_CENTRED_MIN_POLLS_PER_KNOT:
            # centred, on absolute levels: knot k's national level is sampled as n0 + walk, with n0 the
            # weighted mean of the as-of levels. The same prior as levels relative to as-of, but polls
            # at earlier knots pin these coordinates directly; relative levels would have to move
            # together with every race's as-of level (a ridge a diagonal mass matrix cannot follow).
            anchor = d.weights if d.weights.sum() > 0 else np.ones(R)
            n0 = pt.dot(pt.as_tensor(anchor / anchor.sum()), s_asof)
            # The walk's density written as an MvNormal whose Cholesky factor is the step sd times a
            # lower triangle of ones: the same prior as pm.GaussianRandomWalk(init_dist=Normal(n0, sd)),
            # whose derived logp trips a pytensor rewrite (int8 overflow) in nutpie's compile.
            walk_chol = nat_step_sd * np.tril(np.ones((K - 1, K - 1)))
            levels = pm.MvNormal("national_walk", mu=n0 * pt.ones(K - 1), chol=walk_chol, dims="step")
            nat_back = pm.Deterministic(
                "national_walk_back", pt.concatenate([pt.zeros(1), levels - n0]), dims="knot_back"
            )
        else:
            nat_z = pm.Normal("national_walk_z", 0.0, 1.0, dims="step")
            nat_back = pm.Deterministic(
                "national_walk_back",
                pt.concatenate([pt.zeros(1), pt.cumsum(nat_step_sd * nat_z)]),
                dims="knot_back",
            )
        national_level = nat_back[::-1]  # [K] time order
        if K >= 2 and R >= 2:
            L = _jitter_chol(st.race_corr)
            # race walks sum to zero across races: the national walk carries their mean
            race_z = pm.Normal("race_walk_z", 0.0, 1.0, dims=("race", "step"))
            race_steps = step_scale * st.walk_race_sd * pt.dot(pt.as_tensor(centre @ L), race_z)
            race_back = pt.cumsum(race_steps[:, ::-1], axis=1)[:, ::-1]
            race_level = pt.concatenate([race_back, pt.zeros((R, 1))], axis=1)  # [R, K]
        else:
            race_level = pt.zeros((R, K))
        mu_knot = s_asof[:, None] + national_level[None, :] + race_level

        def mu_at(day_idx: np.ndarray):
            lo, frac = _interp_index(np.asarray(day_idx, dtype=np.int64), d.knot_pos)
            if np.all(frac == 0):
                return mu_knot[:, lo]
            return mu_knot[:, lo] * (1.0 - frac) + mu_knot[:, lo + 1] * frac

        all_days = np.arange(len(d.days))
        trend = pm.Deterministic("trend", pm.math.invlogit(mu_at(all_days)), dims=("race", "day"))
        has_weights = bool(d.weights.sum() > 0)
        if has_weights:
            pm.Deterministic("national_trend", pt.dot(pt.as_tensor(d.weights), trend), dims="day")
            pm.Deterministic("national_election_day_share", pt.dot(pt.as_tensor(d.weights), ed_share))

        # ---- poll-level effects ----------------------------------------------------------------------
        if len(d.pollsters) >= 2:
            house_sd = pm.Gamma("house_sd", alpha=HOUSE_SD_SHAPE, beta=HOUSE_SD_SHAPE / priors.house_sd_mean)
            H = len(d.pollsters)
            if H >= HOUSE_CENTRED_MIN_POLLSTERS and d.n_polls >= HOUSE_CENTRED_MIN_POLLS_PER_POLLSTER * H:
                raw = pm.ZeroSumNormal("house_zs", sigma=house_sd, dims="pollster")
            else:
                raw = house_sd * pm.ZeroSumNormal("house_z", sigma=1.0, dims="pollster")
            if priors.adjust_to == "poll":
                raw = _poll_centred(raw, d.poll_pollster, H)
            house = pm.Deterministic("house_effect", raw, dims="pollster")
        else:
            house = pm.Deterministic("house_effect", pt.zeros(len(d.pollsters)), dims="pollster")
        # Population: likely voters are the reference where any poll is of likely voters, else
        # sum-to-zero over the populations present; mode: sum-to-zero over the modes present. An effect shared by every
        # poll would be a free shift of all polls, unidentified against the Election-Day latent.
        population = _offsets(
            "population", d.poll_population, len(POPULATIONS), priors.population_sd, reference=0
        )
        mode = _offsets(
            "mode",
            d.poll_mode,
            len(MODES),
            priors.mode_sd,
            reference=None,
            poll_weighted=priors.adjust_to == "poll",
        )
        sponsor_z = pm.Normal("sponsor_z", 0.0, 1.0, dims="sponsor")
        sponsor = pm.Deterministic("sponsor_effect", priors.sponsor_sd * sponsor_z, dims="sponsor")

        # ---- likelihood ------------------------------------------------------------------------------
        if d.n_polls:
            sigma_extra = pm.HalfNormal("sigma_extra", priors.poll_noise_sd_prob_scale)
            ns = d.n_state
            parts = []
            if ns:
                lo, frac = _interp_index(d.poll_day[:ns], d.knot_pos)
                r = d.poll_race[:ns]
                parts.append(mu_knot[r, lo] * (1.0 - frac) + mu_knot[r, lo + 1] * frac)
            if d.n_polls > ns:
                nat_days, nat_inv = np.unique(d.poll_day[ns:], return_inverse=True)
                share_nd = pt.dot(pt.as_tensor(d.weights), pm.math.invlogit(mu_at(nat_days)))
                parts.append((pt.log(share_nd) - pt.log1p(-share_nd))[nat_inv])
            eta = pt.concatenate(parts) if len(parts) > 1 else parts[0]
            sponsor_term = pt.concatenate([pt.zeros(1), sponsor])[d.poll_sponsor]
            eta = (
                eta
                + house[d.poll_pollster]
                + population[d.poll_population]
                + mode[d.poll_mode]
                + sponsor_term
            )
            p = pm.math.invlogit(eta)
            sd = pt.sqrt(p * (1.0 - p) / d.n_eff + sigma_extra**2)
            pm.Normal("y", mu=p, sigma=sd, observed=d.y, dims="poll")
    return model


# --------------------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------------------


def _sampler_version(name: str) -> str:
    if name == "nutpie":
        import nutpie

        return str(nutpie.__version__)
    return str(pm.__version__)


def fit(
    inp: ModelInput,
    sampler_cfg: SamplerConfig | None = None,
    priors: PriorConfig | None = None,
) -> xr.DataTree:
    """Build and sample the model; return the DataTree with run attrs on its root.

    Root attrs: model_type, model_version, config_hash, sampler, sampler_version, seed,
    sampling_seconds (wall time of ``pm.sample`` incl. compile), build_seconds, cycle, office, as_of,
    election_day, n_polls (used), n_polls_national, n_polls_dropped_{window,invalid,unknown_race,
    national,version,overlap}, walk_step_days, national_walk_param, house_param, draws, tune, chains.
    A ``fit_data`` group holds the polls the model used and each race's poll count.
    """
    sampler_cfg = SamplerConfig() if sampler_cfg is None else sampler_cfg
    priors = PriorConfig() if priors is None else priors
    t0 = time.perf_counter()
    d = prepare_data(inp, priors)
    model = _build(d, priors)
    build_seconds = time.perf_counter() - t0

    kwargs: dict = {}
    nuts: dict = {"target_accept": sampler_cfg.target_accept}
    if sampler_cfg.sampler == "nutpie":
        # low-rank mass matrix: learns the few strongly correlated directions (the Election-Day level
        # vs the national walk near as-of) that a diagonal one cannot (measured: BENCHMARKS.md)
        nuts["adaptation"] = sampler_cfg.adaptation
    if sampler_cfg.sampler == "pymc" and sampler_cfg.cores > 1:
        # fork from a multi-threaded (Dagster) process can deadlock; forkserver pickles the model
        kwargs["mp_ctx"] = "forkserver"
    t1 = time.perf_counter()
    with model:
        idata = pm.sample(
            draws=sampler_cfg.draws,
            tune=sampler_cfg.tune,
            chains=sampler_cfg.chains,
            cores=sampler_cfg.cores,
            random_seed=sampler_cfg.seed,
            nuts_sampler=sampler_cfg.sampler,
            nuts=nuts,
            progressbar=False,
            quiet=True,
            compute_convergence_checks=False,
            **kwargs,
        )
    sampling_seconds = time.perf_counter() - t1

    attrs = {
        "model_type": MODEL_TYPE,
        "model_version": MODEL_VERSION,
        "config_hash": config_hash(sampler_cfg, priors, MODEL_VERSION),
        "sampler": sampler_cfg.sampler,
        "sampler_version": _sampler_version(sampler_cfg.sampler),
        "seed": int(sampler_cfg.seed),
        "draws": int(sampler_cfg.draws),
        "tune": int(sampler_cfg.tune),
        "chains": int(sampler_cfg.chains),
        "sampling_seconds": float(sampling_seconds),
        "build_seconds": float(build_seconds),
        "cycle": int(inp.cycle),
        "office": str(inp.office),
        "as_of": inp.as_of.isoformat(),
        "election_day": inp.election_day.isoformat(),
        "walk_step_days": int(priors.walk_step_days),
        "national_walk_param": "non-centred" if "national_walk_z" in model.named_vars else "centred",
        "bias_nu": float(d.structure.bias_nu),
        "prior_nu": "none" if d.structure.prior_nu is None else float(d.structure.prior_nu),
        "structure_info": json.dumps(d.structure.info, default=str, sort_keys=True),
        "house_param": (
            "centred"
            if "house_zs" in model.named_vars
            else "non-centred"
            if "house_z" in model.named_vars
            else "none"
        ),
        "n_polls": int(d.n_polls),
        "n_polls_national": int(d.n_polls - d.n_state),
        **{f"n_polls_dropped_{k}": int(v) for k, v in d.dropped.items()},
    }
    idata.attrs.update(attrs)
    idata["fit_data"] = xr.DataTree(_fit_data(d))
    idata["prior"] = xr.DataTree(prior_election_day_draws(d, seed=sampler_cfg.seed))
    return idata


PRIOR_DRAWS = 2000


def prior_election_day_draws(d: PreparedData, n: int = PRIOR_DRAWS, seed: int = 0) -> xr.Dataset:
    """Draws of the Election-Day share before any poll: truth ~ N(prior, prior_cov) exactly (the
    model's prior marginal). Stored as the ``prior`` group so the weight the polls got
    (1 - posterior variance / prior variance) can be reported per race."""
    rng = np.random.default_rng(seed)
    chol = _jitter_chol(d.structure.prior_cov)
    logit = d.prior_logit[None, :] + rng.normal(size=(n, len(d.race_ids))) @ chol.T
    share = 1.0 / (1.0 + np.exp(-logit))
    return xr.Dataset(
        {"election_day_share": (("chain", "draw", "race"), share[None, :, :])},
        coords={"chain": [0], "draw": np.arange(n), "race": list(d.race_ids)},
    )


def _fit_data(d: PreparedData) -> xr.Dataset:
    """The data the model actually used (after the drops), for summaries and audits."""

    def obj(values) -> np.ndarray:
        return np.array([str(v) for v in values], dtype=object)

    prior = 1.0 / (1.0 + np.exp(-d.prior_logit))
    return xr.Dataset(
        {
            "n_polls": ("race", d.polls_per_race().astype(np.int64)),
            "prior_dem_share": ("race", prior),
            "turnout_weight": ("race", d.weights),
            "poll_race": ("poll", obj(d.race_ids[r] if r >= 0 else "" for r in d.poll_race)),
            "poll_date": ("poll", obj(d.days[t] for t in d.poll_day)),
            "poll_pollster": ("poll", obj(d.pollsters[h] for h in d.poll_pollster)),
            "poll_population": ("poll", obj(POPULATIONS[q] for q in d.poll_population)),
            "poll_share": ("poll", d.y.astype(np.float64)),
            "poll_n_eff": ("poll", d.n_eff.astype(np.float64)),
        },
        coords={"race": list(d.race_ids), "poll": list(d.poll_ids)},
    )


# --------------------------------------------------------------------------------------------------
# Synthetic campaigns drawn from the model's own generative process (tests and benchmarks)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticTruth:
    election_day_share: dict[str, float]  # the outcome: inv_logit(truth[r]) on Election Day
    poll_visible_share: dict[str, float]  # what unbiased polls would show on Election Day (truth + bias)
    house_effect_logit: dict[str, float]
    population_effect_logit: dict[str, float]
    sigma_extra: float
    trend: pd.DataFrame  # race_id x ISO day, probability scale


def simulate_input(
    *,
    n_races: int = 51,
    n_polls: int = 2000,
    n_days: int = 200,
    n_pollsters: int = 30,
    pollster_concentration: float = 1.0,
    national_fraction: float = 0.2,
    days_before_election: int = 10,
    unpolled: tuple[int, ...] = (),
    zero_weight: tuple[int, ...] = (),
    house_effects_pts: dict[int, float] | None = None,
    priors: PriorConfig | None = None,
    cycle: int = 2028,
    election_day: date = date(2028, 11, 7),
    structure: PriorStructure | None = None,
    seed: int = 0,
) -> tuple[ModelInput, SyntheticTruth]:
    """Draw a synthetic campaign from the model's generative process (daily walk).

    Polls end on the ``n_days`` days up to ``as_of = election_day - days_before_election``, with
    intensity rising towards ``as_of``; state polls go preferentially to close races; races whose
    index is in ``unpolled`` get none; races in ``zero_weight`` get turnout weight 0 (outside the
    national vote, so national polls say nothing about them). Pollster shares are Gamma(``pollster_concentration``) weights
    (below 1: a few prolific pollsters and many with one or two polls, as in real data). ``house_effects_pts``: {pollster index: effect in points of
    two-party share at 50%} overrides the drawn house effects (others drawn from N(0, 0.04 logit)); all are then centred as the model centres them (``PriorConfig.adjust_to``).
    """
    from forecast_pipeline.races import STATES

    priors = PriorConfig() if priors is None else priors
    rng = np.random.default_rng(seed)
    codes = sorted(STATES.values())
    if n_races <= len(codes):
        states = codes[:n_races]
    else:
        states = codes + [f"X{i}" for i in range(n_races - len(codes))]
    race_ids = [f"{cycle}-president-{s}" for s in states]
    prior_logit = rng.normal(0.0, 0.4, n_races)
    turnout = rng.gamma(2.0, 1.0, n_races)
    turnout[list(zero_weight)] = 0.0
    races = pd.DataFrame(
        {
            "race_id": race_ids,
            "state": states,
            "district": pd.array([None] * n_races, dtype="Int64"),
            "prior_dem_share": 1.0 / (1.0 + np.exp(-prior_logit)),
            "turnout_weight": turnout / turnout.sum(),
            "electoral_votes": pd.array(rng.integers(3, 40, n_races), dtype="Int64"),
        }
    )
    as_of = election_day - timedelta(days=days_before_election)
    total_days = n_days + days_before_election  # daily grid: first poll day .. Election Day
    start = as_of - timedelta(days=n_days - 1)

    # latent truth: Election-Day truth, the shared polling error (Student-t via a shared mixing
    # weight), and the daily reverse walk of the poll-visible latent (model module doc)
    st = structure if structure is not None else default_structure(races, priors)
    v = 1.0 if st.prior_nu is None else rng.gamma(st.prior_nu / 2.0, 2.0 / st.prior_nu)
    truth_ed = prior_logit + rng.multivariate_normal(np.zeros(n_races), st.prior_cov) / np.sqrt(v)
    w = rng.gamma(st.bias_nu / 2.0, 2.0 / st.bias_nu)
    bias = rng.multivariate_normal(np.zeros(n_races), st.bias_cov / w)
    s_ed = truth_ed + bias
    centre_l = (np.eye(n_races) - 1.0 / n_races) @ _jitter_chol(st.race_corr)
    steps = st.walk_national_sd * rng.normal(size=total_days - 1)[
        None, :
    ] + st.walk_race_sd * centre_l @ rng.normal(size=(n_races, total_days - 1))
    steps[:, n_days - 1 :] /= np.sqrt(v)  # the campaign after as-of shares the prior's mixing weight
    back = np.cumsum(steps[:, ::-1], axis=1)[:, ::-1]
    mu = s_ed[:, None] + np.concatenate([back, np.zeros((n_races, 1))], axis=1)  # [R, D]
    share = 1.0 / (1.0 + np.exp(-mu))
    weights = races["turnout_weight"].to_numpy()

    house = rng.normal(0.0, 0.04, n_pollsters)
    for idx, pts in (house_effects_pts or {}).items():
        house[idx] = 4.0 * pts / 100.0
    pollster_names = [f"Pollster {i:02d}" for i in range(n_pollsters)]
    pop_eff = {"lv": 0.0, "rv": 0.02, "a": 0.04, "v": -0.01, "unknown": 0.0}
    sigma_extra = 0.01

    # poll design
    n_nat = int(round(national_fraction * n_polls))
    n_st = n_polls - n_nat
    closeness = np.exp(-np.abs(prior_logit) / 0.15) + 0.05
    closeness[list(unpolled)] = 0.0
    race_of = np.concatenate(
        [
            rng.choice(n_races, size=n_st, p=closeness / closeness.sum()),
            np.full(n_nat, -1),
        ]
    )
    day_w = np.exp(np.arange(n_days) / (n_days / 2.0))
    day_of = rng.choice(n_days, size=n_polls, p=day_w / day_w.sum())  # 0 = first poll day
    pollster_w = rng.gamma(pollster_concentration, 1.0, n_pollsters)  # < 1: a few big pollsters
    pollster_of = rng.choice(n_pollsters, size=n_polls, p=pollster_w / pollster_w.sum())
    pops = np.array(list(pop_eff))
    pop_of = rng.choice(len(pops), size=n_polls, p=[0.6, 0.3, 0.05, 0.03, 0.02])
    n = np.round(np.exp(rng.normal(np.log(800), 0.5, n_polls))).clip(150, 20000)
    two_party = rng.uniform(0.88, 0.98, n_polls)

    latent = np.where(
        race_of >= 0,
        mu[np.clip(race_of, 0, None), day_of],
        np.log(weights @ share[:, day_of]) - np.log1p(-(weights @ share[:, day_of])),
    )
    sim_modes = np.array(["live_phone", "online", "ivr_text"])
    mode_of = rng.choice(len(sim_modes), size=n_polls, p=[0.4, 0.45, 0.15])
    mz = rng.normal(size=len(sim_modes))
    mode_eff = priors.mode_sd * (mz - mz.mean()) * math.sqrt(len(mz) / (len(mz) - 1))
    # the model's convention for the level of the polls (PriorConfig.adjust_to): house and mode effects
    # average zero over the polls (or over pollsters / modes); without it the simulated polls carry a
    # common offset the model has no term for
    if priors.adjust_to == "poll":
        house = house - _poll_share(pollster_of, n_pollsters) @ house
        mode_eff = mode_eff - _poll_share(mode_of, len(sim_modes)) @ mode_eff
    else:
        house = house - house.mean()
    eta = latent + house[pollster_of] + np.array([pop_eff[p] for p in pops])[pop_of] + mode_eff[mode_of]
    p = 1.0 / (1.0 + np.exp(-eta))
    n_eff = n * two_party
    y = rng.normal(p, np.sqrt(p * (1 - p) / n_eff + sigma_extra**2)).clip(0.01, 0.99)

    polls = pd.DataFrame(
        {
            "poll_id": [f"p{i:05d}" for i in range(n_polls)],
            "race_id": [race_ids[r] if r >= 0 else None for r in race_of],
            "is_national": race_of < 0,
            "pollster": [pollster_names[i] for i in pollster_of],
            "population": pops[pop_of].tolist(),
            "mode": sim_modes[mode_of].tolist(),
            "end_date": pd.to_datetime([start + timedelta(days=int(t)) for t in day_of]),
            "sample_size": n,
            "sample_size_imputed": False,
            "dem_pct": 100.0 * y * two_party,
            "rep_pct": 100.0 * (1.0 - y) * two_party,
        }
    )
    polls["race_id"] = polls["race_id"].astype(object)
    inp = ModelInput(
        cycle=cycle,
        office="president",
        as_of=as_of,
        election_day=election_day,
        races=races,
        polls=polls,
        national_prior_dem_share=float(weights @ races["prior_dem_share"].to_numpy()),
        structure=structure,
    )
    days = [(start + timedelta(days=i)).isoformat() for i in range(total_days)]
    truth = SyntheticTruth(
        election_day_share={
            r: float(v) for r, v in zip(race_ids, 1.0 / (1.0 + np.exp(-truth_ed)), strict=True)
        },
        poll_visible_share={r: float(v) for r, v in zip(race_ids, share[:, -1], strict=True)},
        house_effect_logit={nm: float(h) for nm, h in zip(pollster_names, house, strict=True)},
        population_effect_logit=dict(pop_eff),
        sigma_extra=sigma_extra,
        trend=pd.DataFrame(share, index=race_ids, columns=days),
    )
    return inp, truth
