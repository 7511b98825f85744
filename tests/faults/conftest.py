"""One short real fit (2012 president as of 5 Nov 2012), shared by the publishing fault tests."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

AS_OF = date(2012, 11, 5)


@dataclass
class ShortFit:
    inp: object
    idata: object
    inp_path: Path
    posterior_path: Path


@pytest.fixture(scope="session")
def short_fit(loaded, engine, tmp_path_factory) -> ShortFit:
    from forecast_pipeline.model_input import build_model_input
    from forecast_pipeline.models.config import PriorConfig, SamplerConfig
    from forecast_pipeline.models.poll_model import fit
    from forecast_pipeline.models.summarize import save_posterior

    inp = build_model_input(engine, 2012, "president", AS_OF)
    idata = fit(
        inp, SamplerConfig(sampler="nutpie", draws=100, tune=150, chains=2, cores=2, seed=5), PriorConfig()
    )
    out = tmp_path_factory.mktemp("short_fit")
    with open(out / "inp.pkl", "wb") as fh:
        pickle.dump(inp, fh)
    save_posterior(idata, out / "posterior.nc")
    return ShortFit(inp, idata, out / "inp.pkl", out / "posterior.nc")
