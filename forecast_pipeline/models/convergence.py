"""Vectorised convergence diagnostics: rank-normalised split r-hat, bulk ESS and tail ESS.

Same numbers as ArviZ 1.x (``arviz.rhat`` with its default ``method="rank"``,
``arviz.ess(method="bulk")`` and ``arviz.ess(method="tail")``; the algorithms live in
``arviz_stats/base/diagnostics.py`` and ``arviz_stats/base/core.py``). ArviZ runs a Python loop per
scalar parameter; here every step (split chains, rank normalisation, FFT autocovariance, Geyer's
initial positive / monotone sequence) runs on all parameters of a variable at once. The results
match ArviZ up to floating-point summation order (relative differences around 1e-15; see
``tests/unit/test_convergence.py``).

Every function takes an array shaped ``(chain, draw, *rest)`` and returns a float64 array shaped
``rest``. As in ArviZ, a parameter with any NaN draw gets NaN; fewer than 4 draws gives NaN; r-hat
needs at least 2 chains (NaN with 1), ESS works with 1 (the chain is split in two). A constant
parameter has r-hat NaN and bulk / tail ESS equal to the number of split draws
(``chains * 2 * (draws // 2)``). Draws of +-inf give ArviZ's numbers too (tested).

No Dagster, no database, no ArviZ: numpy and scipy only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special

# ArviZ 1.x's default for the tail ESS: ``prob=None`` -> ``rcParams["stats.ci_prob"]`` = 0.89
# (arviz_stats/validate.py validate_ci_prob, arviz_base/rcparams.py "stats.ci_prob"), then
# ``sorted((prob, 1 - prob))`` in ``_ess_tail``: the ESS of the indicators at the 0.11 and 0.89
# quantiles, the smaller of the two. (Not the classic 0.05 / 0.95.)
TAIL_PROB = 0.89
# Blom's offset in the rank -> normal-score transform (ArviZ ``_backtransform_ranks``).
_BLOM_C = 3 / 8
# Parameters per block: bounds the FFT / ranking work arrays to a few tens of MB.
_BLOCK_ELEMENTS = 1 << 20


def _next_fast_len(target: int) -> int:
    """Smallest 2^a 3^b 5^c >= target, as ``scipy.fftpack.next_fast_len`` (what ArviZ pads to)."""
    if target <= 6:
        return max(target, 1)
    best = 2 ** int(np.ceil(np.log2(target)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            n = p35
            while n < target:
                n *= 2
            best = min(best, n)
            p35 *= 3
        p5 *= 5
    return best


def _as_3d(x) -> tuple[np.ndarray, tuple[int, ...]]:
    """(chain, draw, *rest) -> a (chain, draw, P) view and ``rest``."""
    a = np.asarray(x)
    if a.ndim < 2:
        raise ValueError(f"expected an array shaped (chain, draw, ...), got shape {a.shape}")
    rest = a.shape[2:]
    return a.reshape(*a.shape[:2], int(np.prod(rest, dtype=np.int64))), rest


def _split_block(a: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(chain, draw, B) -> the split chains as a C-contiguous (B, 2 chain, draw // 2) array (first
    halves of every chain, then second halves: ArviZ's ``_split_chains`` row order) and, for an odd
    number of draws, the dropped middle draw (B, chain), else None."""
    n_chain, n_draw, n_par = a.shape
    half = n_draw // 2
    out = np.empty((n_par, 2, n_chain, half), dtype=a.dtype)
    out[:, 0] = a[:, :half].transpose(2, 0, 1)
    out[:, 1] = a[:, n_draw - half :].transpose(2, 0, 1)
    middle = a[:, half].T if n_draw % 2 else None
    return out.reshape(n_par, 2 * n_chain, half), middle


def _z_scale(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank-normalise each parameter of a (P, ...) array over all its values: the normal scores
    of the average ranks (ties share the mean of their positions) with Blom's offset, as ArviZ's
    ``_z_scale`` (``scipy.stats.rankdata(method="average")`` then ``norm.ppf``). Returns the float64
    scores shaped like ``a`` and each parameter's sorted values (P, N).

    The average rank of a value is (first + last) / 2 + 1 over the 0-based sorted positions of its
    tie group, a half-integer, so the scores are a lookup into a table of the 2N - 1 possible
    ones: ``ndtri`` runs on 2N - 1 numbers instead of P * N. The table is computed the way ArviZ
    computes each score: scipy's ranks have the input's float dtype (float64 for integers), the
    Blom probability keeps it and ``norm.ppf`` evaluates in that dtype before returning float64.
    """
    n_par = a.shape[0]
    flat = a.reshape(n_par, -1)
    n = flat.shape[1]
    order = np.argsort(flat, axis=1)
    srt = np.take_along_axis(flat, order, axis=1)
    dtype = flat.dtype if flat.dtype.kind == "f" else np.dtype(np.float64)
    rank = (np.arange(2 * n - 1) / 2 + 1).astype(dtype)
    table = special.ndtri((rank - _BLOM_C) / (n - 2 * _BLOM_C + 1)).astype(np.float64)
    # scores in sorted order; untied value at 0-based position k: rank k + 1 = table[2 k]
    z_sorted = np.empty((n_par, n), dtype=np.float64)
    z_sorted[:] = table[::2]
    tied = np.flatnonzero(srt[:, 1:] == srt[:, :-1])
    if tied.size:
        # flat indices (in the (P, N - 1) comparison grid) of "equals the previous value"; a run of
        # consecutive ones in a row is one tie group, from the position before the run to its end,
        # whose members all get table[first + last]
        row, col = np.divmod(tied, n - 1)
        col = col + 1
        new_run = np.ones(tied.size, dtype=bool)
        new_run[1:] = (np.diff(tied) != 1) | (row[1:] != row[:-1])
        run_id = np.cumsum(new_run) - 1
        first = (col[new_run] - 1)[run_id]
        last = np.zeros(run_id[-1] + 1, dtype=col.dtype)
        np.maximum.at(last, run_id, col)
        value = table[first + last[run_id]]
        z_sorted[row, col] = value
        z_sorted[row[new_run], first[new_run]] = value[new_run]
    z = np.empty((n_par, n), dtype=np.float64)
    np.put_along_axis(z, order, z_sorted, axis=1)
    return z.reshape(a.shape), srt


def _rhat_core(a: np.ndarray) -> np.ndarray:
    """Classic potential scale reduction of a (P, chain, draw) array (ArviZ ``_rhat``)."""
    a = np.asarray(a, dtype=float)
    n = a.shape[2]
    chain_mean = np.mean(a, axis=2)
    chain_var = np.var(a, axis=2, ddof=1)
    between = n * np.var(chain_mean, axis=1, ddof=1)
    within = np.mean(chain_var, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def _autocov(a: np.ndarray) -> np.ndarray:
    """Autocovariance at every lag along the last axis (biased, / n), via a zero-padded FFT."""
    n = a.shape[-1]
    m = _next_fast_len(2 * n)
    a = a - a.mean(axis=-1, keepdims=True)
    f = np.fft.rfft(a, n=m, axis=-1)
    f *= np.conjugate(f)
    cov = np.fft.irfft(f, n=m, axis=-1)[..., :n]
    cov /= n
    return cov


def _ess_core(a: np.ndarray) -> np.ndarray:
    """ESS of each parameter of a (P, chain, draw) array (ArviZ ``_ess``; chains already split).

    Geyer's initial positive sequence is truncated at the first pair of autocorrelations (lags
    2k, 2k+1) whose sum is not positive, then made monotone (cumulative minimum of the pair sums).
    """
    a = np.asarray(a, dtype=float)
    n_par, n_chain, n_draw = a.shape
    const = (np.max(a, axis=(1, 2)) - np.min(a, axis=(1, 2))) < np.finfo(float).resolution

    acov = _autocov(a)
    chain_mean = a.mean(axis=2)
    mean_var = np.mean(acov[:, :, 0], axis=1) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(chain_mean, axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - np.mean(acov, axis=1)) / var_plus[:, None]  # [P, lag]
    rho[:, 0] = 1.0
    rho1_nan = np.isnan(rho[:, 1])

    # Pair sums rho[2k] + rho[2k+1]; ArviZ's loop may compute pairs 1 .. k_max.
    n_pairs = n_draw // 2
    psum = rho[:, 0 : 2 * n_pairs : 2] + rho[:, 1 : 2 * n_pairs : 2]  # [P, n_pairs]
    k_max = max((n_draw - 3) // 2, 0)
    # Last pair computed: the first k < k_max whose sum is not > 0, else k_max.
    pos = psum[:, :k_max] > 0
    k_last = np.where(pos.all(axis=1), k_max, np.argmin(pos, axis=1)) if k_max else np.zeros(n_par, int)

    # Geyer's initial monotone sequence on pairs 1 .. k_last - 1: a pair whose sum exceeds the
    # previous (already monotone) pair's sum gets that sum split evenly between its two lags.
    cm = np.minimum.accumulate(psum, axis=1)
    r = rho[:, : 2 * n_pairs].reshape(n_par, n_pairs, 2).copy()
    lower = np.zeros_like(psum, dtype=bool)
    lower[:, 1:] = psum[:, 1:] > cm[:, :-1]
    r[lower] = (cm[:, :-1][lower[:, 1:]] / 2.0)[:, None]
    kept = np.arange(n_pairs)[None, :] < k_last[:, None]  # pairs < k_last
    head = np.sum(np.where(kept[:, :, None], r, 0.0).reshape(n_par, -1), axis=1)

    # The lag 2 k_last term: rho there if it is > 0 or its pair was kept (sum >= 0), else 0;
    # with k_last = 0 it is rho[0] = 1.
    idx = np.arange(n_par)
    even = rho[idx, 2 * k_last]
    even_pair = psum[idx, k_last]
    tail = np.where(k_last == 0, 1.0, np.where((even > 0) | (even_pair >= 0), even, 0.0))

    tau = -1.0 + 2.0 * head + tail
    n_total = n_chain * n_draw
    floor = 1 / np.log10(n_total)
    tau = np.where(floor > tau, floor, tau)
    ess = n_total / tau
    ess[rho1_nan] = np.nan
    ess[const] = a.shape[1] * a.shape[2]
    return ess


def _rhat_split(split: np.ndarray, z_bulk: np.ndarray, srt: np.ndarray) -> np.ndarray:
    """Rank r-hat of split chains (B, 2 chain, half), given their bulk z-scores and sorted values."""
    bulk = _rhat_core(z_bulk)
    # np.median of the split draws (an even count): the mean of the two middle sorted values
    n = srt.shape[1]
    med = (srt[:, n // 2 - 1] + srt[:, n // 2]) / 2
    with np.errstate(invalid="ignore"):
        tail = _rhat_core(_z_scale(np.abs(split - med[:, None, None]))[0])
    # An infinite median (half the draws +-inf) folds inf - inf = NaN: ArviZ's tail r-hat is NaN.
    tail[np.isinf(med)] = np.nan
    # Python's max(bulk, tail) as in ArviZ: bulk unless tail > bulk (so a NaN tail gives the bulk).
    return np.where(tail > bulk, tail, bulk)


def _ess_tail_split(split: np.ndarray, middle: np.ndarray | None, prob: float) -> np.ndarray:
    """Tail ESS of split chains; the quantiles are over every draw, the odd middle one included."""
    lo_p, hi_p = sorted((prob, 1 - prob))
    flat = split.reshape(split.shape[0], -1)
    if middle is not None:
        flat = np.concatenate((flat, middle), axis=1)
    q = np.quantile(flat, [lo_p, hi_p], axis=1)  # [2, B]
    lo = _ess_core(split <= q[0][:, None, None])
    hi = _ess_core(split <= q[1][:, None, None])
    # Python's min(lo, hi) as in ArviZ: lo unless hi < lo.
    return np.where(hi < lo, hi, lo)


def diagnose(x, what=("rhat", "ess_bulk", "ess_tail"), prob: float = TAIL_PROB) -> dict[str, np.ndarray]:
    """Several diagnostics of one (chain, draw, *rest) array in one pass (they share the split,
    the ranks and the bulk z-scores): a dict name -> float64 array shaped ``rest``, for the names in
    ``what`` ("rhat", "ess_bulk", "ess_tail")."""
    unknown = set(what) - {"rhat", "ess_bulk", "ess_tail"}
    if unknown:
        raise ValueError(f"unknown diagnostics {sorted(unknown)}")
    a, rest = _as_3d(x)
    n_chain, n_draw, n_par = a.shape
    out = {name: np.full(n_par, np.nan) for name in what}
    # ArviZ's validity rules: >= 4 draws; r-hat also >= 2 chains; any NaN draw -> NaN.
    todo = [name for name in what if n_draw >= 4 and (name != "rhat" or n_chain >= 2)]
    if todo and n_par:
        step = max(1, _BLOCK_ELEMENTS // (n_chain * n_draw))
        for i in range(0, n_par, step):
            sl = slice(i, min(i + step, n_par))
            split, middle = _split_block(a[:, :, sl])
            if split.dtype.kind in "fc":
                bad = np.isnan(split).any(axis=(1, 2))
                if middle is not None:
                    bad |= np.isnan(middle).any(axis=1)
            else:
                bad = np.zeros(split.shape[0], dtype=bool)
            if bad.all():
                continue
            if bad.any():
                split = split[~bad]
                middle = None if middle is None else middle[~bad]
            if "rhat" in todo or "ess_bulk" in todo:
                z_bulk, srt = _z_scale(split)
            for name in todo:
                if name == "rhat":
                    res = _rhat_split(split, z_bulk, srt)
                elif name == "ess_bulk":
                    res = _ess_core(z_bulk)
                else:
                    res = _ess_tail_split(split, middle, prob)
                out[name][sl][~bad] = res
    return {name: v.reshape(rest) for name, v in out.items()}


def rhat(x) -> np.ndarray:
    """Rank-normalised split r-hat, max of the bulk and folded (tail) versions (``arviz.rhat``)."""
    return diagnose(x, ("rhat",))["rhat"]


def ess_bulk(x) -> np.ndarray:
    """Bulk ESS: ESS of the rank-normalised split chains (``arviz.ess(method="bulk")``)."""
    return diagnose(x, ("ess_bulk",))["ess_bulk"]


def ess_tail(x, prob: float = TAIL_PROB) -> np.ndarray:
    """Tail ESS: min of the ESS of the indicators ``x <= q`` at the ``1 - prob`` and ``prob``
    quantiles (``arviz.ess(method="tail")``; ArviZ's default ``prob`` is 0.89)."""
    return diagnose(x, ("ess_tail",), prob=prob)["ess_tail"]


def _nan_reduce(values: np.ndarray, func) -> float:
    finite = values[~np.isnan(values)]
    return float(func(finite)) if finite.size else float("nan")


def by_var(data) -> pd.DataFrame:
    """Per variable: ``var``, ``size`` (scalars per draw), ``max_rhat``, ``min_ess_bulk``,
    ``min_ess_tail`` (NaNs ignored; NaN when every value is NaN or the variable is empty).

    ``data`` is an xarray Dataset with ``chain`` and ``draw`` dims (e.g. a posterior) or a mapping
    of name -> array shaped (chain, draw, ...).
    """
    rows = []
    if hasattr(data, "data_vars"):
        items = [(str(v), data[v].transpose("chain", "draw", ...).values) for v in data.data_vars]
    elif isinstance(data, Mapping):
        items = [(str(k), np.asarray(v)) for k, v in data.items()]
    else:
        raise TypeError(f"expected an xarray Dataset or a mapping of arrays, got {type(data)!r}")
    for name, arr in items:
        size = int(np.prod(arr.shape[2:], dtype=np.int64))
        d = diagnose(arr)
        rows.append(
            {
                "var": name,
                "size": size,
                "max_rhat": _nan_reduce(d["rhat"], np.max),
                "min_ess_bulk": _nan_reduce(d["ess_bulk"], np.min),
                "min_ess_tail": _nan_reduce(d["ess_tail"], np.min),
            }
        )
    return pd.DataFrame(rows, columns=["var", "size", "max_rhat", "min_ess_bulk", "min_ess_tail"])
