"""The down-ballot prior's scales are forecast errors: each training cycle predicted by the
regression fitted on the others (fundamentals.fit_downballot)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline import fundamentals

CYCLE_SHOCK_SD = 0.10
RACE_SD = 0.30


def _training(seed: int, shock_sd: float = CYCLE_SHOCK_SD) -> pd.DataFrame:
    """Six cycles x two offices x 30 races from the regression's own form, with a shared shock
    per (cycle, office) of sd ``shock_sd`` and a race departure of sd RACE_SD (logit)."""
    rng = np.random.default_rng(seed)
    rows = []
    for cycle in range(2000, 2012, 2):
        prev_nat = float(rng.normal(0.0, 0.05))
        generic = float(rng.normal(0.0, 0.08))
        for office in ("senate", "governor"):
            shock = float(rng.normal(0.0, shock_sd))
            for _ in range(30):
                lean = float(rng.normal(0.0, 0.4))
                seat_party = float(rng.choice([-1.0, 1.0]))
                inc = float(rng.integers(0, 2))
                seat_lean = float(rng.normal(0.0, 0.4))
                y = 0.9 * lean + 0.1 * seat_party + 0.05 * inc * seat_party + 0.8 * generic
                y += 0.2 * seat_lean + shock + rng.normal(0.0, RACE_SD)
                rows.append(
                    {
                        "cycle": cycle,
                        "office": office,
                        "lean": lean,
                        "seat_party": seat_party,
                        "incumbent_running": inc,
                        "generic_swing": generic,
                        "seat_lean": seat_lean,
                        "prev_nat_logit": prev_nat,
                        "dem_two_party": float(1.0 / (1.0 + np.exp(-(y + prev_nat)))),
                    }
                )
    return pd.DataFrame(rows)


def test_shared_scale_is_out_of_sample_and_larger_than_in_sample():
    fitted = fundamentals.fit_downballot(_training(seed=3))
    # in sample, the intercept and the environment coefficient soak up part of the 12 shocks
    assert fitted["national_sd_logit_in_sample"] < fitted["national_sd_logit"]
    assert fitted["race_sd_logit_in_sample"] < fitted["race_sd_logit"]
    assert fitted["race_sd_logit"] == pytest.approx(RACE_SD, abs=0.03)


def test_out_of_sample_scale_is_each_cycle_predicted_from_the_others():
    train = _training(seed=5)
    fitted = fundamentals.fit_downballot(train)
    t = train[(train["dem_two_party"] > 0.15) & (train["dem_two_party"] < 0.85)]
    y = np.log(t["dem_two_party"] / (1 - t["dem_two_party"])).to_numpy() - t["prev_nat_logit"].to_numpy()
    x = fundamentals._design(t)
    shared, race = [], []
    for cycle in sorted(t["cycle"].unique()):
        held = (t["cycle"] == cycle).to_numpy()
        beta, *_ = np.linalg.lstsq(x[~held], y[~held], rcond=None)
        errors = pd.Series(y[held] - x[held] @ beta, index=t.index[held])
        for _, e in errors.groupby(t.loc[held, "office"]):
            shared.append(e.mean())
            race.extend(e - e.mean())
    assert len(shared) == 12
    assert fitted["national_sd_logit"] == pytest.approx(float(np.sqrt(np.mean(np.square(shared)))))
    assert fitted["race_sd_logit"] == pytest.approx(float(np.sqrt(np.mean(np.square(race)))))


def test_without_shared_shocks_the_shared_scale_stays_small():
    fitted = fundamentals.fit_downballot(_training(seed=7, shock_sd=0.0))
    # sampling noise of 30-race means only: about RACE_SD / sqrt(30) = 0.055
    assert fitted["national_sd_logit"] < 0.08


def test_two_training_cycles_keep_the_in_sample_scales():
    train = _training(seed=9)
    fitted = fundamentals.fit_downballot(train[train["cycle"] < 2004])
    assert fitted["train_cycles"] == [2000, 2002]
    assert fitted["national_sd_logit"] == fitted["national_sd_logit_in_sample"]
    assert fitted["race_sd_logit"] == fitted["race_sd_logit_in_sample"]
