"""The vectorised convergence diagnostics reproduce ArviZ 1.x's numbers.

Reference: ``az.rhat`` / ``az.ess(method="bulk")`` / ``az.ess(method="tail")`` on an xarray Dataset,
the call ``summarize.diagnostics_by_var`` used to make. Every comparison is elementwise, with the
NaN pattern required to be identical.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast_pipeline.models import convergence
from forecast_pipeline.models.summarize import diagnostics, diagnostics_by_var

RTOL = 1e-12


def _ar1(rng, shape, phi):
    """AR(1) chains along axis 1 (draw), unit innovations, started at the first innovation."""
    e = rng.standard_normal(shape)
    x = np.empty_like(e)
    x[:, 0] = e[:, 0]
    for t in range(1, shape[1]):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


def _ar2(rng, shape, a1, a2):
    e = rng.standard_normal(shape)
    x = e.copy()
    for t in range(2, shape[1]):
        x[:, t] = a1 * x[:, t - 1] + a2 * x[:, t - 2] + e[:, t]
    return x


def _with_infs(x):
    x[0, 3, 0] = np.inf
    x[1, 7, 1] = -np.inf
    x[:, :60, 2] = np.inf
    return x


def _arviz(x: np.ndarray) -> dict[str, np.ndarray]:
    dims = ("chain", "draw", *(f"d{i}" for i in range(x.ndim - 2)))
    ds = xr.Dataset({"v": (dims, x)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "rhat": az.rhat(ds)["v"].values,
            "ess_bulk": az.ess(ds, method="bulk")["v"].values,
            "ess_tail": az.ess(ds, method="tail")["v"].values,
        }


def _rng(seed):
    return np.random.default_rng(seed)


CASES = {
    "iid 2x1000x7": lambda: _rng(1).standard_normal((2, 1000, 7)),
    "iid 4 chains, odd draws": lambda: _rng(2).standard_normal((4, 101, 5)),
    "1 chain": lambda: _rng(3).standard_normal((1, 200, 3)),
    "1 chain AR(1)": lambda: _ar1(_rng(4), (1, 301, 4), 0.9),
    "AR(1) 0.95": lambda: _ar1(_rng(5), (2, 500, 6), 0.95),
    "AR(1) 0.99, 4 chains, odd": lambda: _ar1(_rng(6), (4, 301, 4), 0.99),
    "antithetic AR(1) -0.7 (ESS cap)": lambda: _ar1(_rng(7), (2, 400, 4), -0.7),
    "AR(2) oscillating (monotone step)": lambda: _ar2(_rng(8), (2, 300, 20), 0.0, 0.6),
    "AR(2) mixed, 3 chains": lambda: _ar2(_rng(9), (3, 257, 20), -0.3, 0.5),
    "chains with different means": lambda: (
        _rng(10).standard_normal((4, 200, 3)) + np.arange(4)[:, None, None]
    ),
    "8 chains": lambda: _ar1(_rng(11), (8, 100, 5), 0.5),
    "constant": lambda: np.full((2, 100, 2), 0.3),
    "constant among others": lambda: np.concatenate(
        [_rng(12).standard_normal((2, 100, 2)), np.ones((2, 100, 1))], axis=2
    ),
    "discrete (heavy ties)": lambda: _rng(13).integers(0, 3, (2, 200, 4)).astype(float),
    # +-1 in equal numbers: the folded draws are all 1, so the tail r-hat is NaN and ArviZ's
    # max(bulk, tail) keeps the bulk value
    "balanced two values": lambda: _rng(26).permuted(
        np.tile([-1.0, 1.0], (3, 2, 50)).T.reshape(2, 100, 3), axis=1
    ),
    "rounded (ties)": lambda: np.round(_rng(14).standard_normal((2, 200, 10)), 1),
    "integer dtype": lambda: _rng(15).integers(0, 50, (2, 100, 5)),
    "float32": lambda: _rng(16).standard_normal((2, 300, 5)).astype(np.float32),
    "some NaN draws": lambda: (
        np.where(_rng(17).random((2, 50, 6)) < 0.01, np.nan, 0.0) + _rng(18).standard_normal((2, 50, 6))
    ),
    "all NaN": lambda: np.full((2, 50, 2), np.nan),
    # one +inf, one -inf, and a parameter whose median is +inf (its folded draws hit inf - inf)
    "infinite draws": lambda: _with_infs(_rng(27).standard_normal((2, 100, 4))),
    "4 draws": lambda: _rng(19).standard_normal((2, 4, 20)),
    "5 draws": lambda: _rng(20).standard_normal((2, 5, 20)),
    "7 draws": lambda: _rng(21).standard_normal((3, 7, 20)),
    # short chains: Geyer's loop often runs to its last lag instead of stopping at a negative pair
    "12 draws": lambda: _rng(25).standard_normal((2, 12, 50)),
    "3 draws (too few)": lambda: _rng(22).standard_normal((2, 3, 3)),
    "no extra dims": lambda: _rng(23).standard_normal((3, 80)),
    "two extra dims": lambda: _rng(24).standard_normal((2, 60, 2, 3)),
}


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def case(request):
    x = CASES[request.param]()
    return request.param, x, _arviz(x)


@pytest.mark.parametrize("name", ["rhat", "ess_bulk", "ess_tail"])
def test_matches_arviz(case, name):
    _, x, ref = case
    ours = getattr(convergence, name)(x)
    assert ours.shape == x.shape[2:] == ref[name].shape
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref[name]))
    np.testing.assert_allclose(ours, ref[name], rtol=RTOL, atol=0, equal_nan=True)


def test_diagnose_matches_single_functions(case):
    _, x, ref = case
    got = convergence.diagnose(x)
    for name in ("rhat", "ess_bulk", "ess_tail"):
        np.testing.assert_allclose(got[name], ref[name], rtol=RTOL, atol=0, equal_nan=True)


def test_edge_case_values():
    """The special cases pinned by value, not only by agreement with ArviZ."""
    rng = _rng(30)
    const = np.full((2, 100, 1), 1.5)
    assert np.isnan(convergence.rhat(const)).all()
    # constant: ESS = number of split draws (chains * 2 * (draws // 2))
    assert convergence.ess_bulk(const)[0] == 200.0
    assert convergence.ess_tail(const)[0] == 200.0
    assert convergence.ess_bulk(np.full((2, 101, 1), 1.5))[0] == 200.0
    one_chain = rng.standard_normal((1, 200, 3))
    assert np.isnan(convergence.rhat(one_chain)).all()
    assert np.isfinite(convergence.ess_bulk(one_chain)).all()
    x = rng.standard_normal((2, 100, 3))
    x[1, 5, 0] = np.nan
    for f in (convergence.rhat, convergence.ess_bulk, convergence.ess_tail):
        out = f(x)
        assert np.isnan(out[0]) and np.isfinite(out[1:]).all()
    assert np.isnan(convergence.ess_bulk(rng.standard_normal((2, 3, 2)))).all()


def test_detects_nonconvergence():
    rng = _rng(31)
    stuck = rng.standard_normal((4, 500, 3)) + np.array([0.0, 0.0, 0.0, 3.0])[:, None, None]
    assert (convergence.rhat(stuck) > 1.3).all()
    good = rng.standard_normal((4, 500, 3))
    assert (convergence.rhat(good) < 1.01).all()
    sticky = _ar1(rng, (2, 1000, 3), 0.98)
    assert (convergence.ess_bulk(sticky) < 100).all()
    assert (convergence.ess_bulk(good) > 1500).all()


def test_tail_probability_is_arvizs_default():
    """ArviZ 1.x's tail ESS uses prob = rcParams["stats.ci_prob"] (0.89): the 0.11 / 0.89 quantiles."""
    from arviz_base import rcParams

    assert convergence.TAIL_PROB == rcParams["stats.ci_prob"] == 0.89
    x = _ar1(_rng(32), (2, 400, 6), 0.8)
    ds = xr.Dataset({"v": (("chain", "draw", "k"), x)})
    ours = convergence.ess_tail(x)
    np.testing.assert_allclose(ours, az.ess(ds, method="tail", prob=(0.11, 0.89))["v"].values, rtol=RTOL)
    classic = az.ess(ds, method="tail", prob=(0.05, 0.95))["v"].values
    assert not np.allclose(ours, classic, rtol=1e-3)
    np.testing.assert_allclose(convergence.ess_tail(x, prob=0.95), classic, rtol=RTOL)


def test_next_fast_len_matches_scipy_fftpack():
    fftpack = pytest.importorskip("scipy.fftpack")
    assert [convergence._next_fast_len(n) for n in range(1, 3001)] == [
        fftpack.next_fast_len(n) for n in range(1, 3001)
    ]


def test_blocks_do_not_change_results(monkeypatch):
    x = _ar1(_rng(33), (2, 120, 37), 0.6)
    whole = convergence.diagnose(x)
    monkeypatch.setattr(convergence, "_BLOCK_ELEMENTS", 240 * 5)  # 5 parameters per block
    blocked = convergence.diagnose(x)
    for name in whole:
        np.testing.assert_array_equal(whole[name], blocked[name])


def _old_diagnostics_by_var(ds: xr.Dataset) -> pd.DataFrame:
    """``summarize.diagnostics_by_var`` as it was, on ArviZ."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = az.rhat(ds)
        ess_b = az.ess(ds, method="bulk")
        ess_t = az.ess(ds, method="tail")
        rows = []
        for v in ds.data_vars:
            rows.append(
                {
                    "var": v,
                    "size": int(np.prod([ds.sizes[d] for d in ds[v].dims if d not in ("chain", "draw")])),
                    "max_rhat": float(np.nanmax(rhat[v].values)) if rhat[v].size else np.nan,
                    "min_ess_bulk": float(np.nanmin(ess_b[v].values)) if ess_b[v].size else np.nan,
                    "min_ess_tail": float(np.nanmin(ess_t[v].values)) if ess_t[v].size else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _posterior(rng, n_chain=2, n_draw=200) -> xr.Dataset:
    races = ["AK", "AL", "AZ", "CA", "TX"]
    share = 0.5 + 0.05 * _ar1(rng, (n_chain, n_draw, len(races)), 0.7)
    share[:, :, 4] = 0.61  # a race pinned by the data
    walk = _ar1(rng, (n_chain, n_draw, 3, 4), 0.9) + np.arange(n_chain)[:, None, None, None] * 0.5
    nan_var = rng.standard_normal((n_chain, n_draw, 2))
    nan_var[0, 3, :] = np.nan
    return xr.Dataset(
        {
            "national_walk_z": (("chain", "draw", "knot", "k"), walk),
            "sigma_extra": (("chain", "draw"), np.abs(rng.standard_normal((n_chain, n_draw)))),
            "house_z": (("chain", "draw", "pollster"), nan_var),
            "house_sd": (("chain", "draw", "none"), np.zeros((n_chain, n_draw, 0))),
            "election_day_share": (("chain", "draw", "race"), share),
        },
        coords={"race": races},
    )


@pytest.mark.parametrize("n_chain", [1, 2, 4])
def test_by_var_matches_old_arviz_table(n_chain):
    ds = _posterior(_rng(40 + n_chain), n_chain=n_chain, n_draw=151)
    old = _old_diagnostics_by_var(ds)
    new = convergence.by_var(ds)
    assert list(new.columns) == list(old.columns)
    assert new["var"].tolist() == old["var"].tolist()
    assert new["size"].tolist() == old["size"].tolist() == [12, 1, 2, 0, 5]
    for col in ("max_rhat", "min_ess_bulk", "min_ess_tail"):
        np.testing.assert_allclose(
            new[col].to_numpy(float), old[col].to_numpy(float), rtol=RTOL, equal_nan=True
        )
    assert new["max_rhat"].isna().tolist() == (
        [True] * 5 if n_chain == 1 else [False, False, True, True, False]
    )
    # dims order of a variable does not matter; a mapping of arrays works too
    swapped = ds.assign(election_day_share=ds["election_day_share"].transpose("race", "draw", "chain"))
    pd.testing.assert_frame_equal(convergence.by_var(swapped), new)
    as_dict = {v: ds[v].values for v in ds.data_vars}
    pd.testing.assert_frame_equal(convergence.by_var(as_dict), new)


def test_summarize_diagnostics_use_the_fast_path():
    ds = _posterior(_rng(50))
    idata = xr.DataTree.from_dict(
        {
            "posterior": ds.assign(unchecked=(("chain", "draw"), np.zeros((2, 200)))),
            "sample_stats": xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 200), bool))}),
        }
    )
    per_var = diagnostics_by_var(idata)
    checked = ["national_walk_z", "house_sd", "house_z", "sigma_extra", "election_day_share"]
    assert per_var["var"].tolist() == checked  # FREE_PARAMETERS order, then the share
    old = _old_diagnostics_by_var(ds[checked]).set_index("var")
    got = per_var.set_index("var")
    for col in ("max_rhat", "min_ess_bulk", "min_ess_tail"):
        np.testing.assert_allclose(
            got[col].to_numpy(float), old[col].to_numpy(float), rtol=RTOL, equal_nan=True
        )
    d = diagnostics(idata)
    assert d["max_rhat"] == pytest.approx(float(np.nanmax(old["max_rhat"])), rel=RTOL)
    assert d["min_ess_bulk"] == pytest.approx(float(np.nanmin(old["min_ess_bulk"])), rel=RTOL)
    assert d["max_rhat_election_day_share"] == pytest.approx(
        old.loc["election_day_share", "max_rhat"], rel=RTOL
    )
    assert d["divergences"] == 0
