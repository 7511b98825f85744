"""One backtest: a cycle x office replayed at one or more as-of dates and scored against the results."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline.backtest import baselines
from forecast_pipeline.backtest.metrics import crps_samples, pit_values, score_races
from forecast_pipeline.model_input import actual_two_party, build_model_input
from forecast_pipeline.models.config import PriorConfig, SamplerConfig
from forecast_pipeline.models.input import ModelInput
from forecast_pipeline.races import election_day

DEFAULT_DAYS_BEFORE = (90, 60, 30, 14, 7, 1)
_Q = {"q025": 0.025, "q10": 0.10, "q25": 0.25, "q50": 0.5, "q75": 0.75, "q90": 0.90, "q975": 0.975}
EXCLUDED_REASON = (
    "no Democrat-versus-Republican November general result (top-two same-party, "
    "uncontested, or not in the results file)"
)


def as_of_dates(cycle: int, as_of: date | None = None, days_before=None) -> list[tuple[date, int]]:
    ed = election_day(cycle)
    if as_of is not None:
        return [(as_of, (ed - as_of).days)]
    return [(ed - timedelta(days=int(d)), int(d)) for d in (days_before or DEFAULT_DAYS_BEFORE)]


def restrict_to_contested(inp: ModelInput, actual: dict[str, float]) -> tuple[ModelInput, list[dict]]:
    """Keep the races that had a Democrat and a Republican in the November general."""
    keep = inp.races["race_id"].isin(actual)
    excluded = [{"race_id": r, "reason": EXCLUDED_REASON} for r in inp.races.loc[~keep, "race_id"]]
    return inp.select_races(inp.races.loc[keep, "race_id"]), excluded


def _table_from_draws(inp: ModelInput, draws: np.ndarray, actual: pd.Series, n_polls=None) -> pd.DataFrame:
    """Race table (same columns as the published one plus wider quantiles, CRPS and PIT) from draws
    of the Election-Day share, shape (draws, races) in the order of inp.races."""
    t = inp.races[["race_id", "state", "district", "electoral_votes"]].copy()
    t["p_dem_win"] = (draws > 0.5).mean(axis=0)
    t["dem_two_party_mean"] = draws.mean(axis=0)
    for name, q in _Q.items():
        t[name] = np.quantile(draws, q, axis=0)
    t["n_polls"] = n_polls if n_polls is not None else 0
    a = t["race_id"].map(actual)
    t["actual_dem_two_party"] = a
    known = a.notna().to_numpy()
    t["crps"] = np.nan
    t["pit"] = np.nan
    if known.any():
        t.loc[known, "crps"] = crps_samples(draws.T[known], a[known].to_numpy(float))
        t.loc[known, "pit"] = pit_values(draws.T[known], a[known].to_numpy(float))
    return t


def _share_draws(group, inp: ModelInput) -> np.ndarray:
    """Election-Day share draws from a DataTree group, shape (draws, races) in inp.races order."""
    da = group["election_day_share"]
    order = [str(r) for r in da["race"].values]
    arr = np.asarray(da.values).reshape(-1, len(order))
    return arr[:, [order.index(r) for r in inp.races["race_id"]]]


def prior_draws(inp: ModelInput, priors: PriorConfig, n: int = 4000, seed: int = 1) -> np.ndarray:
    """Draws of the Election-Day share from the model's prior (the same model built with no polls)."""
    import pymc as pm

    from forecast_pipeline.models.poll_model import build_model

    with build_model(inp.without_polls(), priors):
        prior = pm.sample_prior_predictive(draws=n, var_names=["election_day_share"], random_seed=seed)
    return _share_draws(prior["prior"], inp)


def score_table(table: pd.DataFrame, office: str) -> dict:
    return score_races(table, office)


def run_horizon(
    engine: sa.Engine,
    cycle: int,
    office: str,
    as_of: date,
    days_before: int,
    sampler: SamplerConfig,
    priors: PriorConfig,
    actual: dict[str, float],
    log: Callable[[str], None] = print,
) -> tuple[dict, list[dict]]:
    from forecast_pipeline.models.poll_model import fit
    from forecast_pipeline.models.summarize import diagnostics, race_forecasts

    inp, excluded = restrict_to_contested(build_model_input(engine, cycle, office, as_of), actual)
    actual_s = pd.Series(actual)
    log(
        f"  {cycle} {office} as of {as_of} ({days_before} days out): {len(inp.races)} races, "
        f"{len(inp.polls)} polls; sampling..."
    )
    idata = fit(inp, sampler, priors)
    diag = diagnostics(idata)
    n_polls = (
        race_forecasts(idata, inp).set_index("race_id")["n_polls"].reindex(inp.races["race_id"]).to_numpy()
    )
    table = _table_from_draws(inp, _share_draws(idata["posterior"], inp), actual_s, n_polls)
    prior_table = _table_from_draws(inp, _share_draws(idata["prior"], inp), actual_s)
    base = {
        "poll_average": baselines.with_normal_crps(baselines.poll_average(inp), actual_s),
        "prior": prior_table,
        "uniform_swing": baselines.with_normal_crps(baselines.uniform_swing(inp), actual_s),
    }
    horizon = {
        "as_of": as_of.isoformat(),
        "days_before": int(days_before),
        "n_polls": int(len(inp.polls)),
        "diagnostics": {k: float(v) for k, v in diag.items()},
        "races": _records(table),
        "scores": score_table(table, office),
        "baselines": {name: score_table(_with_meta(t, inp, actual_s), office) for name, t in base.items()},
        "model_version": str(idata.attrs.get("model_version")),
        "config_hash": str(idata.attrs.get("config_hash")),
    }
    return horizon, excluded


def run_joint_horizon(
    engine: sa.Engine,
    cycle: int,
    as_of: date,
    days_before: int,
    sampler: SamplerConfig,
    priors: PriorConfig,
    log: Callable[[str], None] = print,
) -> dict[str, tuple[dict, list[dict]]]:
    """One fit of every office of the cycle together (``build_joint_input``), scored office by office
    against the same baselines as the single-office backtest (each office's baselines see only that
    office's own polls, as in ``run_horizon``)."""
    from forecast_pipeline.model_input import build_joint_input, offices_in_cycle
    from forecast_pipeline.models.poll_model import fit
    from forecast_pipeline.models.summarize import diagnostics, race_forecasts

    offices = offices_in_cycle(engine, cycle)
    actual = {o: actual_two_party(engine, cycle, o) for o in offices}
    offices = [o for o in offices if actual[o]]
    every = {r for o in offices for r in actual[o]}
    joint = build_joint_input(engine, cycle, as_of, offices, race_filter=lambda r: r in every)
    log(
        f"  {cycle} {'+'.join(offices)} jointly as of {as_of} ({days_before} days out): "
        f"{len(joint.races)} races, {len(joint.polls)} polls; sampling..."
    )
    idata = fit(joint, sampler, priors)
    diag = {k: float(v) for k, v in diagnostics(idata).items()}
    counts = race_forecasts(idata, joint).set_index("race_id")["n_polls"]
    out = {}
    for office in offices:
        ids = joint.races.loc[joint.races["office"] == office, "race_id"]
        sub = joint.select_races(ids)
        if office != "president":
            sub = dataclasses.replace(
                sub, polls=sub.polls[~sub.polls["is_national"].astype(bool)].reset_index(drop=True)
            )
        actual_s = pd.Series(actual[office])
        table = _table_from_draws(
            sub,
            _share_draws(idata["posterior"], sub),
            actual_s,
            counts.reindex(sub.races["race_id"]).to_numpy(),
        )
        base = {
            "poll_average": baselines.with_normal_crps(baselines.poll_average(sub), actual_s),
            "prior": _table_from_draws(sub, _share_draws(idata["prior"], sub), actual_s),
            "uniform_swing": baselines.with_normal_crps(baselines.uniform_swing(sub), actual_s),
        }
        out[office] = (
            {
                "as_of": as_of.isoformat(),
                "days_before": int(days_before),
                "n_polls": int(len(sub.polls)),
                "joint_offices": offices,
                "diagnostics": diag,
                "races": _records(table),
                "scores": score_table(table, office),
                "baselines": {n: score_table(_with_meta(t, sub, actual_s), office) for n, t in base.items()},
                "model_version": str(idata.attrs.get("model_version")),
                "config_hash": str(idata.attrs.get("config_hash")),
            },
            [],
        )
    return out


def _with_meta(table: pd.DataFrame, inp: ModelInput, actual: pd.Series) -> pd.DataFrame:
    t = table.drop(columns=["electoral_votes"], errors="ignore")
    t = t.merge(inp.races[["race_id", "electoral_votes"]], on="race_id", how="left")
    return t.assign(actual_dem_two_party=t["race_id"].map(actual))


def _records(table: pd.DataFrame) -> list[dict]:
    out = []
    for r in table.to_dict("records"):
        rec = {}
        for k, v in r.items():
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                rec[k] = None
            elif isinstance(v, np.generic):
                rec[k] = v.item()
            else:
                rec[k] = v
        rec["dem_two_party_q10"], rec["dem_two_party_q50"], rec["dem_two_party_q90"] = (
            rec["q10"],
            rec["q50"],
            rec["q90"],
        )
        out.append(rec)
    return out


def run_backtest(
    engine: sa.Engine,
    cycle: int,
    office: str,
    horizons: list[tuple[date, int]],
    sampler: SamplerConfig | None = None,
    priors: PriorConfig | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Replay ``cycle`` x ``office`` at each as-of date; return the backtest document.

    The document keeps every key of ``run --json`` (taken from the last horizon, the one closest to
    Election Day) and adds ``horizons`` (each with scores and baselines) and ``excluded`` races.
    """
    sampler = sampler or SamplerConfig()
    priors = priors or PriorConfig()
    actual = actual_two_party(engine, cycle, office)
    if not actual:
        raise ValueError(f"no certified {cycle} {office} results in the database: nothing to score against")
    results, excluded = [], []
    for as_of, days in sorted(horizons, key=lambda h: h[0]):
        horizon, excluded = run_horizon(engine, cycle, office, as_of, days, sampler, priors, actual, log)
        results.append(horizon)
    last = results[-1]
    return {
        "cycle": cycle,
        "office": office,
        "as_of": last["as_of"],
        "model_version": last["model_version"],
        "diagnostics": last["diagnostics"],
        "races": last["races"],
        "scores": last["scores"],
        "baselines": last["baselines"],
        "horizons": results,
        "excluded": excluded,
    }
