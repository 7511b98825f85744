"""State similarity -> the correlation of state-level deviations (walk, Election-Day prior, polling
error), built only from data dated before the cycle.

Features per state (each standardised across states):
* presidential lean (logit state share minus logit national share) in each of the last three
  presidential elections before the cycle;
* the state's mean absolute relative swing since 1976 (elastic states move more, and together);
* race/ethnicity shares from the newest ACS 1-year table released before the cycle (none for 2008);
* BEA region (one-hot, scaled by ``REGION_WEIGHT``);
* optionally the MRP state lean of the forecast cycle (``mrp_lean``, logit; see
  ``demographic_prior``), standardised like the others, when the forecast may use it. States without
  an MRP estimate sit at the feature's mean.

Correlation: a Gaussian kernel on the feature distance, K_ij = exp(-d_ij^2 / (2 l^2)), with l the
median pairwise distance (the "median heuristic"; no tuning on any backtest). A Gaussian kernel is
positive definite by construction (plus a nugget, ``NUGGET``), so unlike the Economist's ``cor()`` over nine feature values it
needs no negative-correlation flooring or positive-definite repair, and all correlations are > 0
(no state moves against another, the failure seen in 538's 2020 tails).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline import history

REGION_WEIGHT = 0.7
N_LEANS = 3
# Share of each state's deviation that is its own (the kernel's "nugget"): without it the kernel
# matrix has eigenvalues near 1e-4, which makes the prior nearly singular and the sampler crawl.
NUGGET = 0.15


def state_features(
    data_dir: str | Path,
    cycle: int,
    later_results: pd.DataFrame | None = None,
    mrp_lean: pd.Series | None = None,
) -> pd.DataFrame:
    hist = history.presidential_history(data_dir, cycle, later_results)
    leans = history.state_leans(hist)
    feats = {f"lean_{c}": leans.loc[c] for c in leans.index[-N_LEANS:]}
    rel_swing = leans.diff().abs().mean()
    feats["elasticity"] = rel_swing
    df = pd.DataFrame(feats)
    acs_year = history.latest_acs_year(cycle)
    if acs_year is not None:
        df = df.join(history.acs_race_shares(str(Path(data_dir).resolve()), acs_year), how="left")
    if mrp_lean is not None:
        df["mrp_lean"] = mrp_lean.astype(float).reindex(df.index)
    df = (df - df.mean()) / df.std(ddof=0)
    reg = history.regions(str(Path(data_dir).resolve()))
    dummies = pd.get_dummies(reg.reindex(df.index), dtype=float) * REGION_WEIGHT
    return df.join(dummies).fillna(0.0)


def kernel_correlation(features: pd.DataFrame) -> pd.DataFrame:
    x = features.to_numpy(float)
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    off = d2[np.triu_indices(len(x), 1)]
    length2 = float(np.median(off)) if len(off) else 1.0
    k = (1.0 - NUGGET) * np.exp(-d2 / (2.0 * length2)) + NUGGET * np.eye(len(x))
    return pd.DataFrame(k, index=features.index, columns=features.index)


def state_correlation(
    data_dir: str | Path,
    cycle: int,
    later_results: pd.DataFrame | None = None,
    mrp_lean: pd.Series | None = None,
) -> pd.DataFrame:
    return kernel_correlation(state_features(data_dir, cycle, later_results, mrp_lean))


_KERNELS: dict = {}


def state_correlation_at(
    data_dir: str | Path, cycle: int, later_results: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The kernel as it stood at ``cycle`` (``later_results`` of that cycle or after left out),
    memoised on the data it was built from: fits over earlier cycles score each against its own."""
    earlier = None if later_results is None else later_results[later_results["cycle"] < cycle]
    if earlier is not None and earlier.empty:
        earlier = None
    digest = 0 if earlier is None else int(pd.util.hash_pandas_object(earlier, index=False).sum())
    key = (str(Path(data_dir).resolve()), cycle, digest)
    if key not in _KERNELS:
        _KERNELS[key] = state_correlation(data_dir, cycle, earlier)
    return _KERNELS[key]


LEAN_WEIGHT_GRID = np.linspace(0.0, 1.0, 41)
FIRST_LEAN_CYCLE = 1988  # the first cycle whose kernel has three earlier leans (1976, 1980, 1984)


def _lean_change_loglik(changes: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Profile log-likelihood over ``LEAN_WEIGHT_GRID`` of one cycle's lean changes under
    N(0, s^2 (w K + (1 - w) I)), with s^2 at its maximum for each w."""
    n = len(changes)
    out = []
    for w in LEAN_WEIGHT_GRID:
        k = w * kernel + (1.0 - w) * np.eye(n)
        q = float(changes @ np.linalg.solve(k, changes))
        out.append(-0.5 * (n * np.log(q / n) + np.linalg.slogdet(k)[1] + n))
    return np.asarray(out)


def lean_change_weight(
    data_dir: str | Path, cycle: int, later_results: pd.DataFrame | None = None
) -> tuple[float, dict]:
    """Weight w of the similarity kernel K in the correlation of the states' lean changes between
    consecutive presidential elections, w K + (1 - w) I: its maximum-likelihood value pooled over
    the cycles before ``cycle`` (each change scored against the kernel built as of its own cycle),
    so the Election-Day prior's correlation is calibrated on earlier elections only."""
    leans = history.state_leans(history.presidential_history(data_dir, cycle, later_results))
    total = np.zeros(len(LEAN_WEIGHT_GRID))
    used = []
    for c in range(FIRST_LEAN_CYCLE, cycle, 4):
        if c not in leans.index or c - 4 not in leans.index:
            continue
        k = state_correlation_at(data_dir, c, later_results)
        d = (leans.loc[c] - leans.loc[c - 4]).reindex(k.index).dropna()
        total += _lean_change_loglik(d.to_numpy(float), k.loc[d.index, d.index].to_numpy())
        used.append(c)
    if not used:
        return 1.0, {"weight": 1.0, "cycles": [], "note": "no earlier cycle: the kernel as is"}
    best = int(np.argmax(total))
    w = float(LEAN_WEIGHT_GRID[best])
    return w, {
        "weight": w,
        "cycles": used,
        "loglik_gain_vs_kernel_only": round(float(total[best] - total[-1]), 3),
    }


def race_correlation(
    state_corr: pd.DataFrame, states: list[str], offices: list[str], cross_office: float
) -> np.ndarray:
    """Correlation between races: the states' correlation times ``cross_office`` when the races are
    for different offices (a Kronecker-style product of two positive-definite matrices, so still
    positive definite). Unknown states (synthetic data) get correlation 0 with the others."""
    idx = [state_corr.index.get_loc(s) if s in state_corr.index else -1 for s in states]
    c = np.eye(len(states))
    sc = state_corr.to_numpy()
    for i, a in enumerate(idx):
        for j, b in enumerate(idx):
            if i != j and a >= 0 and b >= 0:
                # two races of one state (a regular and a special Senate election) share the
                # state's common part but not its own (nugget) part
                same_office = offices[i] == offices[j]
                base = sc[a, b] if a != b else (1.0 - NUGGET if same_office else 1.0)
                c[i, j] = base * (1.0 if same_office else cross_office)
            elif i != j and a == b and a < 0 and states[i] == states[j]:
                c[i, j] = cross_office
    return c
