"""Do earlier cycles' final-poll misses grow with the undecided share, and how much of the race-level
miss is plain poll-to-poll noise? Two checks of the polling-error history (``polling_error.py``)
that were measured and not adopted (README, "Checked on 2.5.0 and not adopted").

For every (cycle, office) from 1990 and every race with >= 2 polls in the last 21 days (as visible the
day before Election Day) whose top two were a Democrat and a Republican:

* error = logit(certified Dem two-party share) - logit(sample-size weighted poll average), split into
  the (cycle, office) mean and the race residual, as ``polling_error._scale`` does;
* undecided = the mean of 100 - Dem% - Rep% over the race's polls (undecided and third parties).

Prints the RMS race residual by undecided bin (all offices, then per office), the cycle means next to
the cycle's mean undecided share, and per (cycle, office) the within-race spread of the polls beyond
their sampling error (tau, logit; pooled over races with >= 3 polls): the part of a poll average's
miss that is noise the model's likelihood already has (``sigma_extra``) rather than systematic error.

Usage (needs the loaded database)::

    uv run python benchmarks/polling_error_covariates.py
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

BINS = [0, 4, 7, 10, 14, 20, 60]


def _logit(p):
    return np.log(p) - np.log1p(-p)


def race_table(engine) -> tuple[pd.DataFrame, dict]:
    from forecast_pipeline import polling_error as pe
    from forecast_pipeline.model_input import two_party_results, visible_polls
    from forecast_pipeline.races import NATIONAL, election_day

    rows, tau = [], {}
    for cycle in range(1990, 2023, 2):
        for office in pe.OFFICES:
            ed = election_day(cycle)
            polls = visible_polls(engine, cycle, office, ed - timedelta(days=1))
            polls = polls[
                (polls["state"] != NATIONAL)
                & (polls["end_date"] >= pd.Timestamp(ed - timedelta(days=pe.WINDOW_DAYS)))
            ]
            if polls.empty:
                continue
            res = two_party_results(engine, cycle, office)
            res = res[res["race_id"].isin(pe.dem_rep_top_two(engine, cycle, office))]
            share = polls["dem_pct"] / (polls["dem_pct"] + polls["rep_pct"])
            n = pd.to_numeric(polls["sample_size"], errors="coerce").fillna(600.0).clip(100, 5000)
            polls = polls.assign(
                share=share,
                logit=_logit(share.clip(0.02, 0.98)),
                samp=1.0 / (n * share * (1 - share)),
                n=n,
                undecided=(100 - polls["dem_pct"] - polls["rep_pct"]).clip(0, 60),
            )
            result = res.set_index("race_id")["dem_two_party"]
            excess = []
            for race_id, g in polls.groupby("race_id"):
                if len(g) >= 3:
                    excess.append((float(g["logit"].var(ddof=1) - g["samp"].mean()), len(g)))
                if len(g) < 2 or race_id not in result.index:
                    continue
                avg = float(np.average(g["share"], weights=g["n"]))
                if 0.05 < avg < 0.95:
                    rows.append(
                        {
                            "cycle": cycle,
                            "office": office,
                            "race_id": race_id,
                            "error": float(_logit(result[race_id]) - _logit(avg)),
                            "undecided": float(g["undecided"].mean()),
                        }
                    )
            if excess:
                pooled = sum(v * (k - 1) for v, k in excess) / sum(k - 1 for _, k in excess)
                tau[(cycle, office)] = (float(np.sqrt(max(pooled, 0.0))), len(excess))
    df = pd.DataFrame(rows)
    df["resid"] = df["error"] - df.groupby(["cycle", "office"])["error"].transform("mean")
    df["bin"] = pd.cut(df["undecided"], BINS)
    return df, tau


def main() -> int:
    from forecast_pipeline.db.engine import get_engine

    df, tau = race_table(get_engine())

    def rms(x):
        return float(np.sqrt(np.mean(np.square(x))))

    print(f"{len(df)} races; RMS race residual (logit) by undecided share (%):")
    print(df.groupby("bin", observed=True)["resid"].agg(["size", rms]).round(3).to_string())
    for office, g in df.groupby("office"):
        print(f"\n{office}:")
        print(g.groupby("bin", observed=True)["resid"].agg(["size", rms]).round(3).T.to_string())
    cycles = df.groupby(["cycle", "office"]).agg(
        mean_error=("error", "mean"), undecided=("undecided", "mean"), races=("error", "size")
    )
    print("\ncycle means (the shared miss) and the mean undecided share:")
    print(cycles.round(3).to_string())
    print("\nwithin-race poll spread beyond sampling error (tau, logit; races with >= 3 polls):")
    for (cycle, office), (t, k) in sorted(tau.items()):
        print(f"  {cycle} {office:<9} tau {t:.3f}  ({k} races)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
