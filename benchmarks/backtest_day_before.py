"""Backtest one cycle x office as of the day before Election Day and print the scores next to the
three baselines (the numbers in the README's model backtest table).

Usage (from the repo root; needs the loaded database, i.e. after ``make forecast``)::

    uv run python benchmarks/backtest_day_before.py 2016 president          # 2 chains x 1500 + 1500
    uv run python benchmarks/backtest_day_before.py 2018 senate --draws 1500 --json out/bt-2018-senate.json
    uv run python benchmarks/backtest_day_before.py 2020 all --draws 1000 --json out/bt-2020-all.json
                                     # every office of the cycle in one fit, scored office by office

It calls the same ``run_backtest`` as ``forecast-pipeline backtest --days-before 1`` but does not
go through Dagster or write ``forecast.backtest_*``.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from forecast_pipeline.models.config import SamplerConfig

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cycle", type=int)
    ap.add_argument("office", choices=("president", "senate", "governor", "all"))
    ap.add_argument(
        "--draws",
        type=int,
        default=SamplerConfig.draws,
        help="draws and tuning steps per chain (SamplerConfig's default)",
    )
    ap.add_argument("--json", default=None, help="also write scores, baselines and races here")
    ap.add_argument(
        "--seed",
        type=int,
        default=None,
        help="sampler seed (default: SamplerConfig's); a second seed measures Monte Carlo noise",
    )
    ap.add_argument(
        "--days-before",
        type=int,
        default=1,
        help="as-of this many days before Election Day (default 1, the README table)",
    )
    args = ap.parse_args(argv)

    from forecast_pipeline.backtest.run import run_backtest, run_joint_horizon
    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.models.config import PriorConfig
    from forecast_pipeline.races import election_day

    ed = election_day(args.cycle)
    t0 = time.perf_counter()
    if args.office == "all":
        per_office = run_joint_horizon(
            get_engine(),
            args.cycle,
            ed - timedelta(days=args.days_before),
            args.days_before,
            _sampler(args),
            PriorConfig(),
        )
        seconds = round(time.perf_counter() - t0)
        for office, (h, _) in per_office.items():
            out = {
                "cycle": args.cycle,
                "office": office,
                "joint": h["joint_offices"],
                "seconds": seconds,
                "diagnostics": h["diagnostics"],
                "model": h["scores"],
                "baselines": h["baselines"],
            }
            emit(out, h, args.json and args.json.replace(".json", f"-{office}.json"))
        return 0
    doc = run_backtest(
        get_engine(),
        args.cycle,
        args.office,
        [(ed - timedelta(days=args.days_before), args.days_before)],
        _sampler(args),
    )
    h = doc["horizons"][-1]
    out = {
        "cycle": args.cycle,
        "office": args.office,
        "seconds": round(time.perf_counter() - t0),
        "diagnostics": h["diagnostics"],
        "model": h["scores"],
        "baselines": h["baselines"],
    }
    emit(out, h, args.json)
    return 0


def _sampler(args):
    from forecast_pipeline.models.config import SamplerConfig

    extra = {} if args.seed is None else {"seed": args.seed}
    return SamplerConfig(draws=args.draws, tune=args.draws, **extra)


def emit(out: dict, horizon: dict, path: str | None) -> None:
    """Print the scores as one JSON line; with ``path``, also write them with the per-race table."""
    print(json.dumps(out, default=str))
    if path:
        # a fit takes minutes: a missing output folder must not lose it at the last step
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as fh:
            json.dump({**out, "races": horizon["races"]}, fh, indent=1, default=str)


if __name__ == "__main__":
    raise SystemExit(main())
