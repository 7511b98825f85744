"""Is a presidential backtest's gap to its published anchor larger than our own run-to-run noise?

Runs ``backtest_day_before.py`` (1 day out, 2 chains x DRAWS + DRAWS nutpie) once per seed and cycle,
each in its own process (the spread between processes is what a nightly user sees; see
``same_seed_reruns.py``), and prints per cycle the Brier of every seed, their mean and standard error,
and the anchor (``backtest.anchors.PUBLISHED``) with the gap in standard errors.

Usage (from the repo root; needs the loaded database)::

    uv run python benchmarks/anchor_seeds.py                       # 2008-2020, seeds 20261127 11 12
    uv run python benchmarks/anchor_seeds.py --cycles 2016 --seeds 11 12 13 --json out/anchor-seeds.json

Two fits run at a time (2 cores); 2008-2020 x 3 seeds takes about 11 minutes at 1500 draws on our machines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SEEDS = (20261127, 11, 12)  # the SamplerConfig default first


def _anchor(cycle: int) -> tuple[str, float] | None:
    from forecast_pipeline.backtest.anchors import PUBLISHED

    for row in PUBLISHED:
        if row["cycle"] == cycle and row["office"] == "president" and row["metric"] == "brier":
            return row["system"], float(row["value"])
    return None


def _run(cycle: int, seed: int, draws: int, out_dir: Path) -> dict:
    path = out_dir / f"bt-{cycle}-{seed}.json"
    cmd = [sys.executable, str(HERE / "backtest_day_before.py"), str(cycle), "president"]
    cmd += ["--draws", str(draws), "--seed", str(seed), "--json", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    doc = json.loads(path.read_text())
    diag = doc["diagnostics"]
    print(
        f"{cycle} seed {seed}: Brier {doc['model']['brier']:.4f}, RMSE {doc['model']['rmse_two_party']:.4f}, "
        f"ED max r-hat {diag['max_rhat_election_day_share']:.3f}, {doc['seconds']} s",
        flush=True,
    )
    return {
        "cycle": cycle,
        "seed": seed,
        "brier": doc["model"]["brier"],
        "rmse": doc["model"]["rmse_two_party"],
    }


def summarise(runs: list[dict]) -> list[dict]:
    """Per cycle: the seeds' Brier scores, mean, standard error of the mean, anchor and gap."""
    out = []
    for cycle in sorted({r["cycle"] for r in runs}):
        b = [r["brier"] for r in runs if r["cycle"] == cycle]
        mean = statistics.fmean(b)
        se = statistics.stdev(b) / len(b) ** 0.5 if len(b) > 1 else float("nan")
        row = {"cycle": cycle, "briers": b, "mean": mean, "se": se}
        anchor = _anchor(cycle)
        if anchor is not None:
            row |= {"anchor_system": anchor[0], "anchor": anchor[1], "gap_in_se": (mean - anchor[1]) / se}
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    from forecast_pipeline.models.config import SamplerConfig

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, nargs="+", default=[2008, 2012, 2016, 2020])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    ap.add_argument(
        "--draws",
        type=int,
        default=SamplerConfig.draws,
        help="draws and tuning steps per chain (as SamplerConfig)",
    )
    ap.add_argument("--parallel", type=int, default=2, help="fits at a time (each uses 2 chains)")
    ap.add_argument("--json", default=None, help="also write the runs and the summary here")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(c, s) for c in args.cycles for s in args.seeds]
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            runs = list(pool.map(lambda j: _run(j[0], j[1], args.draws, Path(tmp)), jobs))
    table = summarise(runs)
    print("\ncycle  Brier per seed             mean    se      anchor")
    for r in table:
        seeds = " ".join(f"{b:.4f}" for b in r["briers"])
        anchor = (
            f"{r['anchor_system']} {r['anchor']:.4f} ({r['gap_in_se']:+.1f} se)" if "anchor" in r else "-"
        )
        print(f"{r['cycle']}   {seeds:<26} {r['mean']:.4f}  {r['se']:.4f}  {anchor}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"runs": runs, "summary": table}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
