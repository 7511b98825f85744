"""How far the final polls missed in earlier cycles: the scale of the model's systematic polling
error, computed from our own database on cycles strictly before the one being forecast.

For each earlier (cycle, office) and each race with at least ``MIN_POLLS`` polls in the last
``WINDOW_DAYS`` days before Election Day (as visible the day before), the error is
logit(certified Dem two-party share) - logit(sample-size weighted poll average). Only races whose two
leading finishers were a Democrat and a Republican count: where an independent or third-party
candidate finished first or second (Lieberman 2006, Chafee 2010, Murkowski's 2010 write-in, King
2012, Ventura 1998), the Democrat's share of the Democratic and Republican votes is not what the polls
measured. (Together with the Stanford races whose parties are swapped, which its loader now rejects,
they had put the governor race scale at 0.19-0.21 logit instead of 0.13.) The errors of one
(cycle, office) are split into their mean (the error every race shared: the national polling miss)
and the race residuals. The sampling variance of each average is subtracted from the residual
variance (it is already in the model's likelihood), so what remains is the systematic part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline.models.input import population_versions
from forecast_pipeline.races import NATIONAL, election_day

WINDOW_DAYS = 21
MIN_POLLS = 2
OFFICES = ("president", "senate", "governor")


@dataclass(frozen=True)
class PollingErrorScale:
    national_sd_logit: float
    race_sd_logit: float
    n_cycles: int
    n_races: int
    by_cycle: dict  # "cycle-office" -> {"mean": .., "resid_sd": .., "n": ..}


def _race_errors(engine: sa.Engine, cycle: int, office: str) -> pd.DataFrame:
    from forecast_pipeline.model_input import two_party_results, visible_polls

    ed = election_day(cycle)
    polls = visible_polls(engine, cycle, office, ed - timedelta(days=1))
    polls = polls[
        (polls["state"] != NATIONAL) & (polls["end_date"] >= pd.Timestamp(ed - timedelta(days=WINDOW_DAYS)))
    ]
    # one count per poll, as in the model (PriorConfig.one_population_version)
    polls = polls[~population_versions(polls)]
    res = two_party_results(engine, cycle, office)
    res = res[res["race_id"].isin(dem_rep_top_two(engine, cycle, office))]
    if polls.empty or res.empty:
        return pd.DataFrame(columns=["race_id", "state", "error", "sampling_var"])
    polls = polls.assign(
        share=polls["dem_pct"] / (polls["dem_pct"] + polls["rep_pct"]),
        n=pd.to_numeric(polls["sample_size"], errors="coerce").fillna(600.0).clip(100, 5000),
    )
    g = polls.groupby("race_id")
    avg = g.apply(lambda d: np.average(d["share"], weights=d["n"]), include_groups=False)
    n_tot = g["n"].sum()
    count = g.size()
    out = pd.DataFrame({"avg": avg, "n_tot": n_tot, "count": count, "state": g["state"].first()}).join(
        res.set_index("race_id")["dem_two_party"], how="inner"
    )
    out = out[(out["count"] >= MIN_POLLS) & out["avg"].between(0.05, 0.95)]
    logit = lambda p: np.log(p) - np.log1p(-p)  # noqa: E731
    out["error"] = logit(out["dem_two_party"]) - logit(out["avg"])
    out["sampling_var"] = 1.0 / (out["n_tot"] * out["avg"] * (1 - out["avg"]))
    return out.reset_index()[["race_id", "state", "error", "sampling_var"]]


# The same deciding-election rule as model_input._RESULTS_SQL (general, else a November jungle
# primary), written out again because every statement must be one literal (tests/unit/test_sql_binding).
_TOP_TWO_SQL = sa.text(
    """
    WITH votes AS (
        SELECT r.race_id, k.party, sum(x.votes) AS votes
        FROM core.results x
        JOIN core.races r USING (race_id)
        JOIN core.candidates k USING (candidate_id)
        WHERE r.cycle = :cycle AND r.office = :office AND r.district IS NULL AND x.votes IS NOT NULL
          AND (x.stage = 'general'
               OR (x.stage = 'jungle primary' AND NOT EXISTS (
                       SELECT 1 FROM core.results g WHERE g.race_id = x.race_id AND g.stage = 'general')))
        GROUP BY r.race_id, x.candidate_id, k.party
    ), ranked AS (
        SELECT race_id, party, row_number() OVER (PARTITION BY race_id ORDER BY votes DESC) AS place
        FROM votes
    )
    SELECT race_id FROM ranked WHERE place <= 2
    GROUP BY race_id
    HAVING count(*) FILTER (WHERE party = 'DEM') = 1 AND count(*) FILTER (WHERE party = 'REP') = 1
    """
)


def dem_rep_top_two(engine: sa.Engine, cycle: int, office: str) -> set[str]:
    """The races of (cycle, office) whose two leading candidates were one Democrat and one Republican."""
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(_TOP_TWO_SQL, {"cycle": cycle, "office": office})}


@lru_cache(maxsize=64)
def _cached(url: str, cycle: int, office: str) -> pd.DataFrame:
    from forecast_pipeline.db.engine import get_engine

    return _race_errors(get_engine(url=url), cycle, office)


def historical_errors(engine: sa.Engine, before_cycle: int, first_cycle: int = 1990) -> dict:
    out = {}
    with engine.connect() as conn:
        pairs = conn.execute(
            sa.text(
                "SELECT DISTINCT r.cycle, r.office FROM core.polls p JOIN core.races r USING (race_id) "
                "WHERE r.cycle >= :f AND r.cycle < :c AND r.cycle % 2 = 0 AND r.office = ANY(:o)"
            ),
            {"f": first_cycle, "c": before_cycle, "o": list(OFFICES)},
        ).all()
    url = engine.url.render_as_string(hide_password=False)
    for cycle, office in sorted(pairs):
        errs = _cached(url, int(cycle), str(office))
        if len(errs) >= 3:
            out[f"{cycle}-{office}"] = errs
    return out


def polling_error_scale(engine: sa.Engine, before_cycle: int, office: str | None = None) -> PollingErrorScale:
    """National part pooled over every office (few cycles each); race part from ``office``'s own
    earlier cycles when it has at least two (presidential state polls miss less than Senate and
    governor polls), else pooled."""
    errs = historical_errors(engine, before_cycle)
    scale = _scale(errs)
    if office is not None:
        own = _of_office(errs, office)
        if len(own) >= 2:
            scale = PollingErrorScale(
                scale.national_sd_logit,
                _scale(own).race_sd_logit,
                scale.n_cycles,
                scale.n_races,
                scale.by_cycle,
            )
    return scale


def _scale(errs: dict) -> PollingErrorScale:
    if not errs:
        raise ValueError("no earlier cycle with final polls and results")
    means, resid_var, n_races, by_cycle = [], [], 0, {}
    for key, e in errs.items():
        m = float(e["error"].mean())
        r = e["error"] - m
        # residual variance net of sampling variance (floored at 0 per cycle)
        rv = max(float(np.mean(r**2) - e["sampling_var"].mean()), 0.0)
        means.append(m)
        resid_var.append((rv, len(e)))
        n_races += len(e)
        by_cycle[key] = {"mean": round(m, 4), "resid_sd": round(float(np.sqrt(rv)), 4), "n": int(len(e))}
    nat = float(np.sqrt(np.mean(np.square(means))))
    race = float(np.sqrt(sum(v * n for v, n in resid_var) / sum(n for _, n in resid_var)))
    return PollingErrorScale(nat, race, len(errs), n_races, by_cycle)


KERNEL_WEIGHT_GRID = np.linspace(0.0, 1.0, 21)
MIN_FIT_CYCLES = 2


@dataclass(frozen=True)
class RaceErrorFit:
    """Scale ``sd_logit`` and kernel weight ``kernel_weight`` of the race part of the polling error
    (s^2 (w K + (1 - w) I)), fitted by maximum likelihood on earlier cycles' final-poll errors."""

    sd_logit: float
    kernel_weight: float
    loglik_gain_vs_kernel_only: float
    loglik_gain_vs_moments: float
    cycles: tuple


def _neg_loglik(sd: float, w: float, national_sd: float, samples: list) -> float:
    out = 0.0
    for err, samp_var, kern in samples:
        n = len(err)
        cov = national_sd**2 + sd**2 * (w * kern + (1.0 - w) * np.eye(n)) + np.diag(samp_var)
        chol = np.linalg.cholesky(cov)
        z = np.linalg.solve(chol, err)
        out += 0.5 * z @ z + np.log(np.diag(chol)).sum()
    return float(out)


def fit_race_error(
    errs: dict, kernel_of, national_sd: float, moment_sd: float, fit_scale: bool = True
) -> RaceErrorFit | None:
    """``errs``: "cycle-office" -> ``_race_errors`` frame (one office); ``kernel_of(cycle)``: the
    state similarity correlation as it stood at that cycle. Each cycle's errors are a draw from
    N(0, b^2 J + s^2 (w K + (1 - w) I) + diag(sampling var)) with the national part b held at the
    pooled estimate (an office has too few cycles to split it from a kernel that already correlates
    every pair of states); s is profiled out on each point of the w grid (``fit_scale=False``: s held
    at ``moment_sd``, only w fitted). None when the office has fewer than ``MIN_FIT_CYCLES`` cycles.

    An analysis, not a model input: ``benchmarks/polling_error_correlation.py`` prints it per backtest
    cycle, and the README's 2.4.0 section has the backtests that kept the model on K with the moment
    scale (Senate w ~0 fits the errors 100+ log-likelihood units better, yet the model scored worse)."""
    from scipy.optimize import minimize_scalar

    samples, cycles = [], []
    for key in sorted(errs):
        cycle = int(key.split("-")[0])
        kern = kernel_of(cycle)
        e = errs[key][errs[key]["state"].isin(kern.index)]
        if len(e) < 3:
            continue
        k = kern.loc[e["state"], e["state"]].to_numpy(float)
        samples.append((e["error"].to_numpy(float), e["sampling_var"].to_numpy(float), k))
        cycles.append(cycle)
    if len(samples) < MIN_FIT_CYCLES:
        return None
    best = None
    nll_by_w = {}
    for w in KERNEL_WEIGHT_GRID:
        if fit_scale:
            r = minimize_scalar(
                lambda log_s, w=w: _neg_loglik(np.exp(log_s), w, national_sd, samples),
                bounds=(np.log(0.005), np.log(1.0)),
                method="bounded",
            )
            fun, sd = float(r.fun), float(np.exp(r.x))
        else:
            fun, sd = _neg_loglik(moment_sd, w, national_sd, samples), moment_sd
        nll_by_w[float(w)] = fun
        if best is None or fun < best[0]:
            best = (fun, float(w), sd)
    nll, w, sd = best
    return RaceErrorFit(
        sd_logit=sd,
        kernel_weight=w,
        loglik_gain_vs_kernel_only=round(nll_by_w[1.0] - nll, 3),
        loglik_gain_vs_moments=round(_neg_loglik(moment_sd, 1.0, national_sd, samples) - nll, 3),
        cycles=tuple(cycles),
    )


def _of_office(errs: dict, office: str) -> dict:
    return {k: v for k, v in errs.items() if k.endswith(f"-{office}")}


def office_errors(engine: sa.Engine, before_cycle: int, office: str) -> dict:
    return _of_office(historical_errors(engine, before_cycle), office)
