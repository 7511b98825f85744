"""The 1-day-out backtest of one presidential cycle with and without the MRP input
(``forecast_pipeline.demographic_prior``), side by side.

Needs the loaded database with a voter file and MRP estimates for the cycle and an earlier cycle
(``forecast-pipeline data load``; ``forecast-pipeline voterfile run --fraction 0.01 --cycle 2004,2012``).

Modes:
  off       the structure ignores MRP (``use_mrp=False``): the forecast before this change;
  rule      the default: MRP only if every survey behind it was fielded by the as-of date. With the
            current generator (538's 2020 non-voter survey in every voter file) no forecast before
            2020-09-25 qualifies, so for 2004-2016 this equals ``off``;
  ignore-voterfile-survey
            COUNTERFACTUAL, not a valid backtest: as if the voter file's turnout and party model had
            been fitted on a survey fielded before the cycle. The vote-choice survey's own fielded
            date still applies. It measures what the MRP input would do once the generator is fitted
            on pre-cycle surveys.

Usage::

    uv run python benchmarks/backtest_mrp.py 2012 --mode off
    uv run python benchmarks/backtest_mrp.py 2012 --mode ignore-voterfile-survey --json out/bt-2012-mrp.json
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from backtest_day_before import emit  # the sibling script (benchmarks/ is on sys.path when run)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cycle", type=int)
    ap.add_argument("--mode", choices=("off", "rule", "ignore-voterfile-survey"), default="rule")
    ap.add_argument("--draws", type=int, default=500, help="draws and tuning steps per chain")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    from forecast_pipeline import demographic_prior, structure
    from forecast_pipeline.backtest.run import run_backtest
    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.model_input import build_model_input
    from forecast_pipeline.models.config import SamplerConfig
    from forecast_pipeline.races import election_day

    if args.mode == "off":
        # model_input imports build_structure at call time, so this reaches run_backtest's inputs;
        # use_mrp is forced (a partial's keyword would be overridden by model_input's use_mrp=True)
        original = structure.build_structure

        def without_mrp(*a, **k):
            return original(*a, **{**k, "use_mrp": False})

        structure.build_structure = without_mrp
    elif args.mode == "ignore-voterfile-survey":
        demographic_prior.VOTERFILE_SURVEYS = ()
    as_of = election_day(args.cycle) - timedelta(days=1)
    engine = get_engine()
    info = build_model_input(engine, args.cycle, "president", as_of).structure.info["mrp"]
    t0 = time.perf_counter()
    doc = run_backtest(
        engine, args.cycle, "president", [(as_of, 1)], SamplerConfig(draws=args.draws, tune=args.draws)
    )
    h = doc["horizons"][-1]
    out = {
        "cycle": args.cycle,
        "mode": args.mode,
        "seconds": round(time.perf_counter() - t0),
        "mrp": info,
        "diagnostics": h["diagnostics"],
        "model": h["scores"],
        "baselines": h["baselines"],
    }
    emit(out, h, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
