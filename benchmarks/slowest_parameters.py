"""Fit one cycle x office as of N days out and print the slowest-mixing variables (bulk ESS, r-hat).

Usage (from the repo root; needs the loaded database, i.e. after ``make forecast``)::

    uv run python benchmarks/slowest_parameters.py 2020 president --days-before 30
    uv run python benchmarks/slowest_parameters.py 2020 president --days-before 30 --seed 11 --non-centred
    uv run python benchmarks/slowest_parameters.py 2020 president --days-before 30 --adaptation low_rank

``--non-centred`` samples the national walk as before model 2.7.1 (non-centred increments), to
compare with the absolute-level centred form the model now uses with national polls.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from datetime import timedelta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cycle", type=int)
    ap.add_argument("office", choices=("president", "senate", "governor"))
    ap.add_argument("--days-before", type=int, default=30)
    ap.add_argument("--seed", type=int, default=None, help="sampler seed (default: SamplerConfig's)")
    ap.add_argument("--adaptation", choices=("diag", "low_rank"), default="diag")
    ap.add_argument("--non-centred", action="store_true", help="the national walk as before 2.7.1")
    ap.add_argument("--top", type=int, default=8)
    args = ap.parse_args(argv)

    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.model_input import build_model_input
    from forecast_pipeline.models import convergence, poll_model
    from forecast_pipeline.models.config import SamplerConfig
    from forecast_pipeline.races import election_day

    if args.non_centred:
        poll_model.NATIONAL_CENTRED_MIN_POLLS_PER_KNOT = float("inf")
    cfg = SamplerConfig(adaptation=args.adaptation)
    if args.seed is not None:
        cfg = dataclasses.replace(cfg, seed=args.seed)
    as_of = election_day(args.cycle) - timedelta(days=args.days_before)
    inp = build_model_input(get_engine(), args.cycle, args.office, as_of)
    t0 = time.perf_counter()
    dt = poll_model.fit(inp, cfg)
    wall = time.perf_counter() - t0
    print(
        f"{args.cycle} {args.office} as of {as_of}: national walk {dt.attrs['national_walk_param']}, "
        f"{cfg.adaptation} mass matrix, seed {cfg.seed}, {wall:.0f} s"
    )
    table = convergence.by_var(dt.posterior.to_dataset()).sort_values("min_ess_bulk")
    print(table.head(args.top).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
