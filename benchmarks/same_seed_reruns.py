"""Do fits with the same input and seed give the same draws? Each run is a separate process.

Usage (from the repo root; needs the loaded database)::

    uv run python benchmarks/same_seed_reruns.py                          # 2020 governor, 4 + 4 runs
    uv run python benchmarks/same_seed_reruns.py --cycle 2012 --office president --as-of 2012-11-05

Half the runs reuse PyTensor's usual compile cache (warm after the first), half compile into a fresh
directory of their own (``PYTENSOR_FLAGS=base_compiledir=...``), as a new machine or container would.
Each prints a hash of the posterior draws and the diagnostics the publish gate reads; the summary
counts the distinct posteriors. Short chains (``--draws``, default 300) keep it quick and make the
all-parameter ESS sensitive to any difference in the chains.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = """
import hashlib, json, sys
from datetime import date
import numpy as np
from forecast_pipeline.db.engine import get_engine
from forecast_pipeline.model_input import build_model_input
from forecast_pipeline.models.config import PriorConfig, SamplerConfig
from forecast_pipeline.models.poll_model import fit
from forecast_pipeline.models.summarize import diagnostics

cycle, office, as_of, draws = int(sys.argv[1]), sys.argv[2], date.fromisoformat(sys.argv[3]), int(sys.argv[4])
inp = build_model_input(get_engine(), cycle, office, as_of)
idata = fit(inp, SamplerConfig(sampler="nutpie", draws=draws, tune=draws), PriorConfig())
post = idata["posterior"]
h = hashlib.sha256()
for name in sorted(post.data_vars):
    h.update(np.ascontiguousarray(np.asarray(post[name], dtype=float)).tobytes())
d = diagnostics(idata)
print(json.dumps({"hash": h.hexdigest()[:12], "polls": len(inp.polls),
                  "max_rhat": round(float(d["max_rhat"]), 4), "min_ess_bulk": round(float(d["min_ess_bulk"]), 1),
                  "divergences": int(d["divergences"])}))
"""


def _run(args, env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(args.cycle), args.office, args.as_of, str(args.draws)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycle", type=int, default=2020)
    ap.add_argument("--office", default="governor")
    ap.add_argument("--as-of", default="2020-11-02")
    ap.add_argument("--draws", type=int, default=300, help="draws and tuning steps per chain")
    ap.add_argument("--runs", type=int, default=4, help="runs per cache mode")
    ap.add_argument("--json", default=None, help="also write the runs here")
    args = ap.parse_args(argv)

    runs = []
    for mode in ("shared cache", "fresh compile dir"):
        for i in range(args.runs):
            env = dict(os.environ)
            with tempfile.TemporaryDirectory(prefix="pytensor-") as tmp:
                if mode == "fresh compile dir":
                    env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp}"
                r = {"mode": mode, "run": i + 1, **_run(args, env)}
            runs.append(r)
            print(json.dumps(r), flush=True)
    distinct = sorted({r["hash"] for r in runs})
    print(f"{len(runs)} runs, {len(distinct)} distinct posterior(s)")
    for mode in ("shared cache", "fresh compile dir"):
        hashes = [r["hash"] for r in runs if r["mode"] == mode]
        ess = [r["min_ess_bulk"] for r in runs if r["mode"] == mode]
        print(f"  {mode}: {len(set(hashes))} distinct of {len(hashes)}; min bulk ESS {min(ess)}-{max(ess)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": vars(args), "runs": runs, "distinct": len(distinct)}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
