"""Voter-file scale benchmark: generate, load (COPY) and aggregate ~10 million registered voters.

Usage (from the repo root)::

    nice -n 10 uv run python benchmarks/bench_voterfile.py                  # 2012 snapshot, ~10M voters
    uv run python benchmarks/bench_voterfile.py --fraction 0.002 --json out/bench_voterfile.json

It starts a throwaway embedded PostgreSQL in a temporary directory (or uses DATABASE_URL when
--use-database-url is given), applies the migrations, and measures:

* generate + load: wall time and rows per second for voterfile.voters and voterfile.vote_history;
* peak resident memory of this Python process (ru_maxrss), which must stay under 1 GB because the
  generator streams chunks of CHUNK_ROWS people into COPY and never holds the file;
* each SQL aggregation (sql/queries/voterfile_composition_*.sql: INSERT ... SELECT with sums, turnout
  weights and window shares) against the bare GROUP BY on the same table with the same grouping keys
  and only count(*). Both are run warm, `--repeats` times, and the median is reported; the target is
  aggregation <= 2 x bare.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycle", type=int, default=2012)
    ap.add_argument(
        "--fraction", type=float, default=0.054, help="0.054 of the 2012 frame = ~10M registrants"
    )
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--use-database-url", action="store_true", help="use DATABASE_URL instead of a temp server"
    )
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import sqlalchemy as sa

    from forecast_pipeline.config import Settings
    from forecast_pipeline.db.migrate import migrate
    from forecast_pipeline.db.server import embedded_url, normalise_url, stop_embedded
    from forecast_pipeline.voterfile import aggregate, generator

    tmp = None
    if args.use_database_url:
        url = normalise_url(os.environ["DATABASE_URL"])
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bench-voterfile-pg-"))
        url = embedded_url(tmp / "data")
    engine = sa.create_engine(url)
    try:
        migrate(engine)
        data_dir = Settings.from_env().data_dir
        print(f"generating cycle {args.cycle} at fraction {args.fraction} ...", file=sys.stderr)
        t0 = time.perf_counter()
        res = generator.generate_to_db(engine, data_dir, args.cycle, args.fraction, args.seed)
        gen_s = time.perf_counter() - t0
        voters = sum(r.voters for r in res)
        history = sum(r.history_rows for r in res)
        rss_after_load = _peak_rss_mb()
        with engine.connect() as conn:
            size = conn.execute(
                sa.text(
                    "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'voterfile' AND c.relkind = 'r'"
                )
            ).scalar_one()
        out = {
            "cycle": args.cycle,
            "fraction": args.fraction,
            "people": sum(r.people for r in res),
            "voters": voters,
            "history_rows": history,
            "generate_load_seconds": round(gen_s, 1),
            "voters_per_second": round(voters / gen_s),
            "rows_per_second": round((voters + history) / gen_s),
            "database_size": size,
            "chunk_rows": generator.CHUNK_ROWS,
        }
        print(json.dumps(out), file=sys.stderr)
        # Warm the cache once, then time both the aggregation and the bare GROUP BY.
        aggregate.bare_group_by_seconds(engine, args.cycle, "composition_state")
        timings = {}
        for name in aggregate.QUERIES:
            agg = [aggregate.aggregate(engine, args.cycle, (name,))[0].seconds for _ in range(args.repeats)]
            bare = [aggregate.bare_group_by_seconds(engine, args.cycle, name) for _ in range(args.repeats)]
            select = []
            for _ in range(args.repeats):
                t1 = time.perf_counter()
                with engine.connect() as conn:
                    conn.execute(sa.text(aggregate.query_text(name)), {"cycle": args.cycle}).fetchall()
                select.append(time.perf_counter() - t1)
            timings[name] = {
                "select_only_s": round(statistics.median(select), 2),
                "aggregate_s": round(statistics.median(agg), 2),
                "bare_group_by_s": round(statistics.median(bare), 2),
                "ratio": round(statistics.median(agg) / statistics.median(bare), 2),
            }
            print(name, timings[name], file=sys.stderr)
        out["aggregations"] = timings
        out["peak_rss_mb"] = round(max(rss_after_load, _peak_rss_mb()), 1)
        out["ok_memory"] = out["peak_rss_mb"] < 1024
        out["ok_ratio"] = all(t["ratio"] <= 2.0 for t in timings.values())
        print(json.dumps(out, indent=2))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(out, indent=2))
        return 0 if out["ok_memory"] and out["ok_ratio"] else 1
    finally:
        engine.dispose()
        if tmp is not None:
            stop_embedded(tmp / "data")
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
