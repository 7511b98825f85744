"""Do a state's polls miss in the same direction cycle after cycle? A check of the polling-error
history (``polling_error.historical_errors``, the misses the model's scale is built from) that was
measured and not adopted (README, "Checked on 2.6.0 and not adopted").

For every (cycle, office) from 1990, each race's residual is its final-poll miss (logit) minus the
(cycle, office) mean, i.e. the state's own miss beyond the national one. A state's *past residual* is
the mean of its residuals, all offices, over the 20 years before the cycle. If the residuals persist,
the model could centre each race's polling error on slope x past residual instead of 0.

Prints
* per forecast cycle, the slope (least squares through the origin) and correlation of residual on past
  residual, fitted only on (cycle, office) pairs before it, for president and for Senate + governor:
  the slope a backtest of that cycle could have used;
* per presidential cycle, the same correlation within that cycle alone;
* for the states where the 2008 and 2016 anchors are lost, the past residual, the shift it implies
  (slope x past residual, logit and points of two-party share at 50%) and the residual that followed.

Usage (needs the loaded database)::

    uv run python benchmarks/polling_error_persistence.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOOKBACK_YEARS = 20
DOWN_BALLOT = ("senate", "governor")
ANCHOR_STATES = {2008: ["IN", "MO", "NC", "FL", "OH"], 2016: ["WI", "MI", "PA", "NV", "FL", "NC"]}


def residuals(engine, before_cycle: int = 2024) -> pd.DataFrame:
    from forecast_pipeline.polling_error import historical_errors

    frames = []
    for key, df in historical_errors(engine, before_cycle).items():
        cycle, office = key.split("-")
        frames.append(df.assign(cycle=int(cycle), office=office, resid=df["error"] - df["error"].mean()))
    return pd.concat(frames, ignore_index=True)


def with_past(res: pd.DataFrame) -> pd.DataFrame:
    """Each race's residual next to its state's mean residual over the LOOKBACK_YEARS before it."""
    out = []
    for cycle, d in res.groupby("cycle"):
        past = res[(res["cycle"] < cycle) & (res["cycle"] >= cycle - LOOKBACK_YEARS)]
        m = past.groupby("state")["resid"].agg(past_resid="mean", past_n="size")
        out.append(d.join(m, on="state").dropna(subset=["past_resid"]))
    return pd.concat(out, ignore_index=True)


def slope(d: pd.DataFrame) -> tuple[float, float, int]:
    x, y = d["past_resid"].to_numpy(), d["resid"].to_numpy()
    return float(x @ y / (x @ x)), float(np.corrcoef(x, y)[0, 1]), len(d)


def main() -> int:
    from forecast_pipeline.db.engine import get_engine

    pairs = with_past(residuals(get_engine()))
    print(f"{len(pairs)} races with a past residual ({LOOKBACK_YEARS} years, all offices)\n")
    print("slope / corr / races, fitted on the (cycle, office) pairs before the forecast cycle:")
    fitted = {}
    for cycle in range(2008, 2025, 2):
        before = pairs[pairs["cycle"] < cycle]
        pres = slope(before[before["office"] == "president"])
        down = slope(before[before["office"].isin(DOWN_BALLOT)])
        fitted[cycle] = pres[0]
        print(
            f"  {cycle}  president {pres[0]:.3f} / {pres[1]:.3f} / {pres[2]:>3}"
            f"   senate+governor {down[0]:.3f} / {down[1]:.3f} / {down[2]:>3}"
        )
    print("\nwithin each presidential cycle (corr / races):")
    for cycle, d in pairs[pairs["office"] == "president"].groupby("cycle"):
        if len(d) > 5:
            _, r, n = slope(d)
            print(f"  {cycle}  {r:.3f} / {n}")
    for cycle, states in ANCHOR_STATES.items():
        d = pairs[(pairs["cycle"] == cycle) & (pairs["office"] == "president")].set_index("state")
        print(
            f"\n{cycle} president, slope {fitted[cycle]:.3f}: state  past resid  shift (logit, points)  resid"
        )
        for s in states:
            if s in d.index:
                past, resid = d.loc[s, "past_resid"], d.loc[s, "resid"]
                shift = fitted[cycle] * past
                print(f"  {s}  {past:+.3f}  {shift:+.4f} ({25 * shift:+.2f})  {resid:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
