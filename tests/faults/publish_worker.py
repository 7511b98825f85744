"""A publisher in its own process, for the fault tests: loads a pickled ModelInput and a saved posterior,
and publishes the forecast (optionally for another as-of date, optionally with its win probabilities
scaled so that it differs from what is published). Run: python -m tests.faults.publish_worker ..."""

from __future__ import annotations

import argparse
import dataclasses
import pickle
from datetime import date

import sqlalchemy as sa

from forecast_pipeline.models.summarize import load_posterior
from forecast_pipeline.publish import build_forecast_table, publish_forecast


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--inp", required=True)
    parser.add_argument("--posterior", required=True)
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with open(args.inp, "rb") as fh:
        inp = pickle.load(fh)
    if args.as_of:
        inp = dataclasses.replace(inp, as_of=date.fromisoformat(args.as_of))
    idata = load_posterior(args.posterior, None)
    engine = sa.create_engine(args.url)
    table, scores = build_forecast_table(engine, inp, idata)
    table["p_dem_win"] = table["p_dem_win"] * args.scale
    run_id = publish_forecast(engine, inp, idata, table, scores, dagster_run_id=f"worker-{args.as_of}")
    print(f"published {run_id}")


if __name__ == "__main__":
    main()
