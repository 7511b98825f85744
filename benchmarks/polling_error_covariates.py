"""Do earlier cycles' final-poll misses grow with the undecided share, and how much of the race-level
miss is plain poll-to-poll noise? Two checks of the polling-error history (``polling_error.py``)
that were measured and not adopted (README, "Checked on 2.5.0 and not adopted").

For every (cycle, office) from 1990 and every race with >= 2 polls in the last 21 days (as visible the
day before Election Day) whose top two were a Democrat and a Republican:

* error = logit(certified Dem two-party share) - logit(sample-size weighted poll average), split into
  the (cycle, office) mean and the race residual, as ``polling_error._scale`` does;
* undecided = the mean of 100 - Dem% - Rep% over the race's polls (undecided and third parties).

Prints the RMS race residual by undecided bin (all offices, then per office), the cycle means next to
the cycle's mean undecided share, an out-of-sample test of a race error whose sd grows with the
race's undecided share (``held_out_gain``), and per (cycle, office) the within-race spread of the polls beyond
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
                            "sampling_var": 1.0 / (float(g["n"].sum()) * avg * (1 - avg)),
                        }
                    )
            if excess:
                pooled = sum(v * (k - 1) for v, k in excess) / sum(k - 1 for _, k in excess)
                tau[(cycle, office)] = (float(np.sqrt(max(pooled, 0.0))), len(excess))
    df = pd.DataFrame(rows)
    df["resid"] = df["error"] - df.groupby(["cycle", "office"])["error"].transform("mean")
    df["bin"] = pd.cut(df["undecided"], BINS)
    return df, tau


UNDECIDED_STEP = 5.0  # points of undecided share per unit of the fitted log-sd slope


def _neg_loglik(params, x: pd.DataFrame) -> float:
    log_sd, slope = params
    var = np.exp(2 * log_sd + 2 * slope * x["undecided_rel"] / UNDECIDED_STEP) + x["sampling_var"]
    return float(0.5 * np.sum(x["resid"] ** 2 / var + np.log(var)))


def _flat_neg_loglik(params, x: pd.DataFrame) -> float:
    return _neg_loglik([params[0], 0.0], x)


def held_out_gain(df: pd.DataFrame, offices: tuple, cycles=range(2008, 2023, 2)) -> pd.DataFrame:
    """Race residual ~ N(0, s^2 exp(2 b u / 5) + sampling var), u the race's undecided share minus its
    (cycle, office) mean, in points. For each forecast cycle, s and b are fitted by maximum likelihood
    on the earlier cycles only, and the held-out cycle's log-likelihood is compared with b = 0 (s refitted)."""
    from scipy.optimize import minimize

    df = df.assign(
        undecided_rel=df["undecided"] - df.groupby(["cycle", "office"])["undecided"].transform("mean")
    )
    df = df[df["office"].isin(offices)]
    rows = []
    for cycle in cycles:
        train, test = df[df["cycle"] < cycle], df[df["cycle"] == cycle]
        if test.empty or train.empty:
            continue
        full = minimize(_neg_loglik, [np.log(0.1), 0.0], args=(train,), method="Nelder-Mead").x
        flat = minimize(_flat_neg_loglik, [np.log(0.1)], args=(train,), method="Nelder-Mead").x
        rows.append(
            {
                "cycle": cycle,
                "races": len(test),
                "slope": full[1],
                "sd_at_mean": float(np.exp(full[0])),
                "gain_nats": _neg_loglik([flat[0], 0.0], test) - _neg_loglik(full, test),
            }
        )
    return pd.DataFrame(rows)


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
    for offices in (("senate", "governor"), ("president",)):
        gain = held_out_gain(df, offices)
        print(
            f"\n{' + '.join(offices)}: race-error sd x exp(slope x (undecided - cycle mean) / 5 points), "
            "fitted on earlier cycles; held-out log-likelihood gain over a flat sd (nats):"
        )
        print(gain.round(3).to_string(index=False))
        print(f"  total {gain['gain_nats'].sum():.2f} nats over {int(gain['races'].sum())} races")
    print("\nwithin-race poll spread beyond sampling error (tau, logit; races with >= 3 polls):")
    for (cycle, office), (t, k) in sorted(tau.items()):
        print(f"  {cycle} {office:<9} tau {t:.3f}  ({k} races)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
