"""How far the final polls missed in earlier cycles: the scale of the model's systematic polling
error, computed from our own database on cycles strictly before the one being forecast.

For each earlier (cycle, office) and each race with at least ``MIN_POLLS`` polls in the last
``WINDOW_DAYS`` days before Election Day (as visible the day before), the error is
logit(certified Dem two-party share) - logit(sample-size weighted poll average). The errors of one
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
    polls = polls[(polls["state"] != NATIONAL) & (polls["end_date"] >= pd.Timestamp(ed - timedelta(days=WINDOW_DAYS)))]
    res = two_party_results(engine, cycle, office)
    if polls.empty or res.empty:
        return pd.DataFrame(columns=["race_id", "error", "sampling_var"])
    polls = polls.assign(
        share=polls["dem_pct"] / (polls["dem_pct"] + polls["rep_pct"]),
        n=pd.to_numeric(polls["sample_size"], errors="coerce").fillna(600.0).clip(100, 5000),
    )
    g = polls.groupby("race_id")
    avg = g.apply(lambda d: np.average(d["share"], weights=d["n"]), include_groups=False)
    n_tot = g["n"].sum()
    count = g.size()
    out = pd.DataFrame({"avg": avg, "n_tot": n_tot, "count": count}).join(
        res.set_index("race_id")["dem_two_party"], how="inner")
    out = out[(out["count"] >= MIN_POLLS) & out["avg"].between(0.05, 0.95)]
    logit = lambda p: np.log(p) - np.log1p(-p)  # noqa: E731
    out["error"] = logit(out["dem_two_party"]) - logit(out["avg"])
    out["sampling_var"] = 1.0 / (out["n_tot"] * out["avg"] * (1 - out["avg"]))
    return out.reset_index()[["race_id", "error", "sampling_var"]]


@lru_cache(maxsize=64)
def _cached(url: str, cycle: int, office: str) -> pd.DataFrame:
    from forecast_pipeline.db.engine import get_engine

    return _race_errors(get_engine(url=url), cycle, office)


def historical_errors(engine: sa.Engine, before_cycle: int, first_cycle: int = 1990) -> dict:
    out = {}
    with engine.connect() as conn:
        pairs = conn.execute(sa.text(
            "SELECT DISTINCT r.cycle, r.office FROM core.polls p JOIN core.races r USING (race_id) "
            "WHERE r.cycle >= :f AND r.cycle < :c AND r.cycle % 2 = 0 AND r.office = ANY(:o)"),
            {"f": first_cycle, "c": before_cycle, "o": list(OFFICES)}).all()
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
    scale = _scale(historical_errors(engine, before_cycle))
    if office is not None:
        own = {k: v for k, v in historical_errors(engine, before_cycle).items() if k.endswith(f"-{office}")}
        if len(own) >= 2:
            scale = PollingErrorScale(scale.national_sd_logit, _scale(own).race_sd_logit, scale.n_cycles,
                                      scale.n_races, scale.by_cycle)
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
