"""Convergence diagnostics: ArviZ 1.x (``az.rhat`` + ``az.ess`` bulk + tail) vs ``models.convergence``.

Usage (from the repo root)::

    uv run python benchmarks/convergence_speed.py                       # (2 chains, 1000 draws, 4000)
    uv run python benchmarks/convergence_speed.py --chains 4 --params 1000 --repeats 3
    uv run python benchmarks/convergence_speed.py --json out.json       # also write the numbers

Draws are AR(1) chains (autocorrelation ``--phi``) in one variable shaped (chain, draw, params). The
ArviZ side is the three calls ``summarize.diagnostics_by_var`` used to make on an xarray Dataset;
ours is ``convergence.diagnose`` (r-hat, bulk and tail ESS in one pass, as ``by_var`` uses it). Both
are timed ``--repeats`` times and the fastest is reported, with the speedup and the largest relative
difference between the two results. The machine's load average is printed too: the timings are
single-threaded and another busy process on the same cores slows both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--params", type=int, default=4000)
    ap.add_argument("--phi", type=float, default=0.5, help="AR(1) coefficient of the simulated chains")
    ap.add_argument("--repeats", type=int, default=1, help="time each side this many times, keep the fastest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)

    import arviz as az
    import numpy as np
    import xarray as xr

    from forecast_pipeline.models import convergence

    rng = np.random.default_rng(args.seed)
    e = rng.standard_normal((args.chains, args.draws, args.params))
    x = np.empty_like(e)
    x[:, 0] = e[:, 0]
    for t in range(1, args.draws):
        x[:, t] = args.phi * x[:, t - 1] + e[:, t]
    ds = xr.Dataset({"x": (("chain", "draw", "param"), x)})

    def run_arviz():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {
                "rhat": az.rhat(ds)["x"].values,
                "ess_bulk": az.ess(ds, method="bulk")["x"].values,
                "ess_tail": az.ess(ds, method="tail")["x"].values,
            }

    def run_ours():
        return convergence.diagnose(x)

    def best_of(fn):
        best, out = float("inf"), None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - t0)
        return best, out

    print(
        f"shape (chain, draw, param) = {x.shape}, AR(1) phi={args.phi}, "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
        flush=True,
    )
    t_ours, ours = best_of(run_ours)
    print(f"ours  (convergence.diagnose): {t_ours:8.3f} s", flush=True)
    t_az, ref = best_of(run_arviz)
    print(f"ArviZ (rhat + ess bulk + tail): {t_az:6.3f} s", flush=True)
    rel = {}
    for k in ref:
        a, b = ours[k], ref[k]
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            raise SystemExit(f"{k}: NaN pattern differs from ArviZ")
        m = ~np.isnan(b)
        rel[k] = float(np.max(np.abs(a[m] - b[m]) / np.abs(b[m]))) if m.any() else 0.0
    result = {
        "shape": list(x.shape),
        "phi": args.phi,
        "repeats": args.repeats,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "arviz_seconds": round(t_az, 3),
        "ours_seconds": round(t_ours, 3),
        "speedup": round(t_az / t_ours, 1),
        "max_rel_diff": rel,
    }
    print(
        f"speedup {t_az / t_ours:.1f}x; max relative difference "
        + ", ".join(f"{k} {v:.1e}" for k, v in rel.items())
    )
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
