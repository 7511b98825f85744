"""Fit the poll model to a synthetic full presidential campaign drawn from its own generative process.

Usage (from the repo root)::

    uv run python benchmarks/bench_poll_model.py                      # defaults: 51 races, 2000 polls,
                                                                       # 200 days, 3-day knots, nutpie
    uv run python benchmarks/bench_poll_model.py --walk-step-days 1 --draws 1000 --tune 1000
    uv run python benchmarks/bench_poll_model.py --json out.json       # also write the numbers

Reports wall time (model build + ``pm.sample`` incl. compile), max r-hat / min bulk ESS over the free
parameters and ``election_day_share``, divergences, and how well the posterior recovers the truth
(RMSE of the posterior mean and 80% interval coverage, both for the Election-Day share against the
simulated Election-Day latent, and for the trend on ``as_of`` against the simulated latent that day).
The Election-Day interval includes the systematic-polling-error term, which the simulation does not
draw, so its coverage is expected above 80%.
The numba cache (``~/.pytensor``) makes a second run's compile faster; pass ``--cold`` to point
PyTensor at a fresh compile dir and measure a cold start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--races", type=int, default=51)
    ap.add_argument("--polls", type=int, default=2000)
    ap.add_argument("--days", type=int, default=200, help="days with polls, up to as_of")
    ap.add_argument("--days-before-election", type=int, default=10, help="as_of = Election Day - this")
    ap.add_argument("--pollsters", type=int, default=120)
    ap.add_argument(
        "--pollster-concentration",
        type=float,
        default=0.3,
        help="Gamma shape of pollster shares (<1: few big pollsters, many small)",
    )
    ap.add_argument("--walk-step-days", type=int, default=None, help="default: PriorConfig's")
    ap.add_argument("--sampler", default="nutpie", choices=("nutpie", "pymc"))
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--target-accept", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=20261127, help="sampler seed")
    ap.add_argument("--data-seed", type=int, default=1, help="synthetic campaign seed")
    ap.add_argument("--cold", action="store_true", help="use a fresh PyTensor compile dir")
    ap.add_argument("--save", default=None, help="also save the posterior (netCDF) here and time it")
    ap.add_argument("--json", default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)

    if args.cold:
        os.environ["PYTENSOR_FLAGS"] = f"base_compiledir={tempfile.mkdtemp(prefix='pytensor-cold-')}"

    import numpy as np

    from forecast_pipeline.models.config import PriorConfig, SamplerConfig
    from forecast_pipeline.models.poll_model import fit, simulate_input
    from forecast_pipeline.models.summarize import (
        diagnostics,
        diagnostics_by_var,
        race_forecasts,
        save_posterior,
        trend_table,
    )

    priors = PriorConfig() if args.walk_step_days is None else PriorConfig(walk_step_days=args.walk_step_days)
    sampler = SamplerConfig(
        sampler=args.sampler,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        cores=args.cores,
        target_accept=args.target_accept,
        seed=args.seed,
    )
    inp, truth = simulate_input(
        n_races=args.races,
        n_polls=args.polls,
        n_days=args.days,
        n_pollsters=args.pollsters,
        pollster_concentration=args.pollster_concentration,
        days_before_election=args.days_before_election,
        unpolled=(0, 1),
        seed=args.data_seed,
    )
    n_nat = int(inp.polls["is_national"].sum())
    print(
        f"campaign: {len(inp.races)} races, {len(inp.polls)} polls ({n_nat} national), "
        f"{inp.polls['pollster'].nunique()} pollsters, "
        f"{args.days} poll days, as_of {inp.as_of}, election {inp.election_day}; "
        f"walk_step_days={priors.walk_step_days}; sampler={sampler}",
        flush=True,
    )

    t0 = time.perf_counter()
    idata = fit(inp, sampler, priors)
    wall = time.perf_counter() - t0
    diag = diagnostics(idata)
    per_var = diagnostics_by_var(idata)
    fc = race_forecasts(idata, inp)
    t1 = time.perf_counter()
    tt = trend_table(idata, inp)
    trend_seconds = time.perf_counter() - t1

    true_ed = np.array([truth.election_day_share[r] for r in fc["race_id"]])
    err = fc["dem_two_party_mean"].to_numpy() - true_ed
    inside = (fc["dem_two_party_q10"].to_numpy() <= true_ed) & (true_ed <= fc["dem_two_party_q90"].to_numpy())
    polled = fc["n_polls"].to_numpy() >= 20
    # the poll average on as_of against the simulated truth that day (what the polls can know)
    last = tt[tt["date"] == tt["date"].max()].set_index("race_id").loc[fc["race_id"]]
    true_now = truth.trend.loc[fc["race_id"], inp.as_of.isoformat()].to_numpy()
    err_now = last["mean"].to_numpy() - true_now
    inside_now = (last["q10"].to_numpy() <= true_now) & (true_now <= last["q90"].to_numpy())
    n_params = int(
        sum(
            idata["posterior"][v].isel(chain=0, draw=0).size
            for v in per_var["var"]
            if v != "election_day_share"
        )
    )
    step_size = (
        idata["sample_stats"]["step_size"].values if "step_size" in idata["sample_stats"].data_vars else None
    )
    ss = idata["sample_stats"]
    depth = (
        ss["depth"].values
        if "depth" in ss.data_vars
        else (ss["tree_depth"].values if "tree_depth" in ss.data_vars else None)
    )
    result = {
        "races": len(inp.races),
        "polls": len(inp.polls),
        "national_polls": n_nat,
        "poll_days": args.days,
        "grid_days": int(idata["posterior"].sizes["day"]),
        "knots": int(idata["posterior"].sizes["step"]) + 1,
        "walk_step_days": priors.walk_step_days,
        "free_parameters": n_params,
        "sampler": args.sampler,
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "wall_seconds_fit_incl_compile": round(wall, 1),
        "sampling_seconds_attr": round(diag["sampling_seconds"], 1),
        "max_rhat": round(diag["max_rhat"], 4),
        "min_ess_bulk": round(diag["min_ess_bulk"], 0),
        "divergences": diag["divergences"],
        "ed_share_max_rhat": round(diag["max_rhat_election_day_share"], 4),
        "ed_share_min_ess_bulk": round(diag["min_ess_bulk_election_day_share"], 0),
        "mean_tree_depth": None if depth is None else round(float(np.mean(depth)), 2),
        "mean_step_size": None if step_size is None else float(np.mean(step_size)),
        "rmse_ed_share_all": round(float(np.sqrt(np.mean(err**2))), 4),
        "rmse_ed_share_polled20": round(float(np.sqrt(np.mean(err[polled] ** 2))), 4),
        "coverage80_ed_share": round(float(inside.mean()), 3),
        "rmse_trend_as_of_all": round(float(np.sqrt(np.mean(err_now**2))), 4),
        "rmse_trend_as_of_polled20": round(float(np.sqrt(np.mean(err_now[polled] ** 2))), 4),
        "coverage80_trend_as_of": round(float(inside_now.mean()), 3),
        "n_races_polled20": int(polled.sum()),
        "national_walk_param": idata.attrs["national_walk_param"],
        "house_param": idata.attrs["house_param"],
        "trend_table_rows": len(tt),
        "trend_table_seconds": round(trend_seconds, 1),
    }
    if args.save:
        t2 = time.perf_counter()
        path = save_posterior(idata, args.save)
        result["save_seconds"] = round(time.perf_counter() - t2, 1)
        result["posterior_mb"] = round(path.stat().st_size / 1e6, 1)
    print(per_var.to_string(index=False))
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
