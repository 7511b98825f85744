"""Turn a fitted poll-model posterior into tables, diagnostics and a stored file.

No Dagster, no SQL: plain DataFrames and dicts that the pipeline writes to ``forecast.*`` tables.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from forecast_pipeline.models import convergence
from forecast_pipeline.models.input import ModelInput
from forecast_pipeline.models.poll_model import FREE_PARAMETERS, MODEL_TYPE, MODEL_VERSION

QUANTILES = (0.1, 0.5, 0.9)
# Big display-only variables stored as float32 (7 significant digits is ample for a share).
_FLOAT32_VARS = ("trend", "national_trend")


class PosteriorMismatchError(ValueError):
    """A stored posterior was produced by a different model type/version or configuration."""


def _draws(idata: xr.DataTree, var: str) -> np.ndarray:
    """Posterior draws of ``var`` with (chain, draw) flattened into the first axis."""
    da = idata["posterior"][var]
    arr = np.asarray(da.values)
    return arr.reshape((-1, *arr.shape[2:]))


def _race_poll_counts(idata: xr.DataTree, inp: ModelInput) -> pd.Series:
    """The race's own polls used by the model (``fit_data``), else all its polls in ``inp``."""
    if "fit_data" in idata.children and "n_polls" in idata["fit_data"].data_vars:
        fd = idata["fit_data"]
        return pd.Series(
            np.asarray(fd["n_polls"].values, dtype=int), index=[str(r) for r in fd["race"].values]
        )
    own = inp.polls.loc[~inp.polls["is_national"].astype(bool), "race_id"].astype(str)
    return own.value_counts()


def race_forecasts(idata: xr.DataTree, inp: ModelInput) -> pd.DataFrame:
    """One row per race: race_id, state, district, p_dem_win (P(share > 0.5)), dem_two_party_mean,
    dem_two_party_q10 / q50 / q90 (Election-Day Democratic two-party share) and n_polls (the race's
    own polls used by the model; national polls not counted)."""
    share = _draws(idata, "election_day_share")  # [S, R]
    race_ids = [str(r) for r in idata["posterior"]["race"].values]
    q = np.quantile(share, QUANTILES, axis=0)
    counts = _race_poll_counts(idata, inp)
    out = pd.DataFrame(
        {
            "race_id": race_ids,
            "p_dem_win": (share > 0.5).mean(axis=0),
            "dem_two_party_mean": share.mean(axis=0),
            "dem_two_party_q10": q[0],
            "dem_two_party_q50": q[1],
            "dem_two_party_q90": q[2],
            "n_polls": [int(counts.get(r, 0)) for r in race_ids],
        }
    )
    meta = inp.races[["race_id", "state", "district"]].assign(race_id=lambda f: f["race_id"].astype(str))
    out = out.merge(meta, on="race_id", how="left", validate="one_to_one")
    cols = [
        "race_id",
        "state",
        "district",
        "p_dem_win",
        "dem_two_party_mean",
        "dem_two_party_q10",
        "dem_two_party_q50",
        "dem_two_party_q90",
        "n_polls",
    ]
    return out[cols]


def trend_table(idata: xr.DataTree, inp: ModelInput) -> pd.DataFrame:
    """Daily poll average per race up to ``inp.as_of``: race_id, date, mean, q10, q90 (probability
    scale; long format, sorted by race then date). Days after ``as_of`` (the forecast fan) are in the
    posterior's ``trend`` but not here."""
    days = pd.to_datetime([str(d) for d in idata["posterior"]["day"].values])
    keep = np.flatnonzero(days <= pd.Timestamp(inp.as_of))
    trend = _draws(idata, "trend")[:, :, keep].astype(np.float64)  # [S, R, D']
    race_ids = [str(r) for r in idata["posterior"]["race"].values]
    mean = trend.mean(axis=0)
    q10, q90 = np.quantile(trend, (0.1, 0.9), axis=0)
    n_r, n_d = mean.shape
    return pd.DataFrame(
        {
            "race_id": np.repeat(np.array(race_ids, dtype=object), n_d),
            "date": np.tile(days[keep].to_numpy(), n_r),
            "mean": mean.ravel(),
            "q10": q10.ravel(),
            "q90": q90.ravel(),
        }
    )


def _checked_vars(idata: xr.DataTree) -> list[str]:
    post = idata["posterior"]
    return [v for v in (*FREE_PARAMETERS, "election_day_share") if v in post.data_vars]


def diagnostics_by_var(idata: xr.DataTree) -> pd.DataFrame:
    """Worst r-hat and smallest bulk/tail ESS per checked variable (for debugging a failed check).

    Columns: var, size (scalars per draw), max_rhat, min_ess_bulk, min_ess_tail (NaNs ignored; NaN
    if all are NaN). The numbers are ArviZ 1.x's (``az.rhat``, ``az.ess`` bulk / tail with its
    default 0.89 tail probability), computed by the vectorised ``convergence`` module.
    """
    names = _checked_vars(idata)
    return convergence.by_var(idata["posterior"].to_dataset()[names])


def diagnostics(idata: xr.DataTree) -> dict:
    """Convergence summary of a fit.

    ``max_rhat`` (rank-normalised split r-hat, the max of bulk and folded) and ``min_ess_bulk`` are
    taken over every free parameter of the model, i.e. the names in ``poll_model.FREE_PARAMETERS``
    present in the posterior (national walk, race_dev_z, race_step_z, house_sd, house_z /
    house_effect, population_z, sigma_extra, polling-error z's; several thousand scalars for a
    presidential campaign) **and** ``election_day_share``. ``divergences`` counts post-warmup
    divergent transitions over all chains; ``sampling_seconds`` is the run attr (wall time of
    ``pm.sample`` including compile). Also returned: ``max_rhat_election_day_share`` and
    ``min_ess_bulk_election_day_share``, the same two numbers for the forecast quantity alone.

    With thousands of parameters and 2 x 1500 draws, the max r-hat over all of them sits around
    1.01-1.02 even for a well-mixed run (sampling noise of the statistic); gate on the
    election_day_share numbers at 1.01 and on the all-parameter max at a looser bound (e.g. 1.05).
    r-hat is NaN with a single chain.
    """
    per_var = diagnostics_by_var(idata).set_index("var")
    ss = idata["sample_stats"]
    div = ss["diverging"].values if "diverging" in ss.data_vars else np.zeros(0)
    rhat = per_var["max_rhat"].to_numpy(dtype=float)
    ess = per_var["min_ess_bulk"].to_numpy(dtype=float)
    return {
        "max_rhat": float(np.nanmax(rhat)) if np.isfinite(rhat).any() else float("nan"),
        "min_ess_bulk": float(np.nanmin(ess)) if np.isfinite(ess).any() else float("nan"),
        "divergences": int(np.sum(div)),
        "sampling_seconds": float(idata.attrs.get("sampling_seconds", float("nan"))),
        "max_rhat_election_day_share": float(per_var.loc["election_day_share", "max_rhat"]),
        "min_ess_bulk_election_day_share": float(per_var.loc["election_day_share", "min_ess_bulk"]),
    }


def save_posterior(idata: xr.DataTree, path: str | os.PathLike) -> Path:
    """Write ``idata`` to netCDF (h5netcdf, gzip level 4; ``trend``/``national_trend`` as float32).

    Written to a temporary file in the same directory, then renamed, so a crash never leaves a
    half-written posterior at ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding: dict[str, dict] = {}
    for node in idata.subtree:
        enc = {}
        for name, var in node.dataset.data_vars.items():
            if var.dtype.kind == "f":
                enc[name] = {"zlib": True, "complevel": 4, "shuffle": True}
                if node.path == "/posterior" and name in _FLOAT32_VARS:
                    enc[name]["dtype"] = "float32"
        if enc:
            encoding[node.path] = enc
    fd, tmp = tempfile.mkstemp(suffix=".nc.tmp", dir=path.parent)
    os.close(fd)
    try:
        idata.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_posterior(path: str | os.PathLike, expected_hash: str | None) -> xr.DataTree:
    """Read a posterior written by :func:`save_posterior`, fully into memory (the file is closed).

    Raises :class:`PosteriorMismatchError` when its model_type / model_version differ from this
    code's, or its config_hash differs from ``expected_hash`` (pass None to skip only the hash check).
    """
    with xr.open_datatree(path, engine="h5netcdf") as dt:
        idata = dt.load().copy()
    attrs = idata.attrs
    problems = []
    if attrs.get("model_type") != MODEL_TYPE:
        problems.append(f"model_type {attrs.get('model_type')!r} != {MODEL_TYPE!r}")
    if attrs.get("model_version") != MODEL_VERSION:
        problems.append(f"model_version {attrs.get('model_version')!r} != {MODEL_VERSION!r}")
    if expected_hash is not None and attrs.get("config_hash") != expected_hash:
        problems.append(f"config_hash {attrs.get('config_hash')!r} != expected {expected_hash!r}")
    if problems:
        raise PosteriorMismatchError(f"posterior at {path} does not match: " + "; ".join(problems))
    return idata
