"""Speed and convergence of the poll model on real cycles (the issue-4 targets), and how it scales.

Usage (from the repo root; needs the loaded database, i.e. after ``make forecast`` or
``forecast-pipeline data load``)::

    uv run python benchmarks/bench_model_real.py real --cycle 2020 --office president
    uv run python benchmarks/bench_model_real.py real --cycle 2020 --office president --sampler pymc
    uv run python benchmarks/bench_model_real.py real --cycle 2020 --office all      # every office, one fit
    uv run python benchmarks/bench_model_real.py scaling                              # x1/x2/x4 polls and races
    ... --json out/bench.json   (append the numbers to a JSON lines file)

``real`` fits the cycle as of the day before Election Day (the full campaign) with 2 chains x
``SamplerConfig``'s tuning steps + draws (1500 + 1500) and reports wall time (input build, model
build and sampling incl. compile), max r-hat / min bulk ESS on every race's Election-Day share and
over all free parameters, divergences, and bulk ESS per second of sampling (min over Election-Day
shares). ``scaling`` fits synthetic campaigns drawn from the model's own generative process at 1x,
2x and 4x the polls (51 races) and the races (2,000 polls).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta


def _summary(idata, wall: float) -> dict:
    from forecast_pipeline.models.summarize import diagnostics

    d = diagnostics(idata)
    sampling = float(idata.attrs["sampling_seconds"])
    return {
        "wall_seconds": round(wall, 1),
        "sampling_seconds": round(sampling, 1),
        "max_rhat_ed_share": round(d["max_rhat_election_day_share"], 4),
        "min_ess_bulk_ed_share": round(d["min_ess_bulk_election_day_share"], 0),
        "max_rhat_all": round(d["max_rhat"], 4),
        "min_ess_bulk_all": round(d["min_ess_bulk"], 0),
        "divergences": d["divergences"],
        "ess_per_second_ed_share": round(d["min_ess_bulk_election_day_share"] / sampling, 2),
        "n_polls": int(idata.attrs["n_polls"]),
        "n_races": int(idata["posterior"].sizes["race"]),
    }


def real(args) -> dict:
    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.model_input import build_joint_input, build_model_input
    from forecast_pipeline.models.config import SamplerConfig
    from forecast_pipeline.models.poll_model import fit
    from forecast_pipeline.races import election_day

    engine = get_engine()
    as_of = election_day(args.cycle) - timedelta(days=args.days_before)
    t0 = time.perf_counter()
    if args.office == "all":
        inp = build_joint_input(engine, args.cycle, as_of)
    else:
        inp = build_model_input(engine, args.cycle, args.office, as_of)
    cfg = SamplerConfig(
        sampler=args.sampler, draws=args.draws, tune=args.tune, chains=2, cores=2, seed=args.seed
    )
    idata = fit(inp, cfg)
    out = _summary(idata, time.perf_counter() - t0)
    return {
        "bench": "real",
        "cycle": args.cycle,
        "office": args.office,
        "sampler": args.sampler,
        "draws": args.draws,
        "tune": args.tune,
        **out,
    }


def scaling(args) -> list[dict]:
    from forecast_pipeline.models.config import SamplerConfig
    from forecast_pipeline.models.poll_model import fit, simulate_input

    rows = []
    for label, races, polls in (
        ("x1", 51, 2000),
        ("polls x2", 51, 4000),
        ("polls x4", 51, 8000),
        ("races x2", 102, 2000),
        ("races x4", 204, 2000),
    ):
        inp, _ = simulate_input(
            n_races=races,
            n_polls=polls,
            n_days=200,
            n_pollsters=120,
            pollster_concentration=0.3,
            days_before_election=1,
            seed=1,
        )
        t0 = time.perf_counter()
        idata = fit(
            inp, SamplerConfig(sampler=args.sampler, draws=args.draws, tune=args.tune, seed=args.seed)
        )
        rows.append(
            {
                "bench": "scaling",
                "label": label,
                "sampler": args.sampler,
                **_summary(idata, time.perf_counter() - t0),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    from forecast_pipeline.models.config import SamplerConfig

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("real", "scaling"))
    ap.add_argument("--cycle", type=int, default=2020)
    ap.add_argument("--office", default="president", help="president, senate, governor or all")
    ap.add_argument("--days-before", type=int, default=1)
    ap.add_argument("--sampler", default="nutpie", choices=("nutpie", "pymc"))
    ap.add_argument("--draws", type=int, default=SamplerConfig.draws)
    ap.add_argument("--tune", type=int, default=SamplerConfig.tune)
    ap.add_argument("--seed", type=int, default=SamplerConfig.seed)
    ap.add_argument("--json", default=None, help="append results (JSON lines) to this file")
    args = ap.parse_args(argv)
    result = real(args) if args.what == "real" else scaling(args)
    rows = result if isinstance(result, list) else [result]
    for r in rows:
        print(json.dumps(r))
    if args.json:
        with open(args.json, "a") as fh:
            for r in rows:
                fh.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
