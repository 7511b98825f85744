"""The behaviour model of the synthetic voter file: vote-history class, registration, turnout and party.

Fitted to real data (see README "Voter files" for the equations):

* **Vote-history class** (always / sporadic / rarely-never) from 538's 2020 non-voter survey
  (`fivethirtyeight-data/non-voters/nonvoters_data.csv`, 5,836 respondents, Ipsos weights). Its
  `voter_category` comes from matched voter-file history. A weighted multinomial logit on race_eth,
  education (3 groups), age4 and sex gives P(class | cell).
* **Party identification** from the same survey (Q30: 1 Republican, 2 Democrat, 3 independent,
  4 another party, 5 no preference), the same kind of model. Independents and "no preference" register
  UNA, "another party" LIB. Each state's Democratic-vs-Republican log-odds are shifted so that D/(D+R)
  among its registrants equals the state's previous presidential two-party result (certified, no
  look-ahead). Only the 31 states + DC with party registration record a party; elsewhere it is NULL,
  as in those states' real files.
* **Registration and turnout** per class are stated assumptions (the survey has no rates), then
  calibrated: for every state and past general election a logit shift makes the expected number of
  votes equal the certified total (presidential: MEDSL by state; midterm: MEDSL House totals). The
  cycle's own turnout score is calibrated to the previous election of the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize
from scipy.special import expit, logit

from forecast_pipeline.voterfile import census

CLASSES = ["always", "sporadic", "rarely"]
PARTIES = ["DEM", "REP", "UNA", "LIB"]
# P(registered | class): 538 builds the classes from voter-file history, so "always" and "sporadic"
# voters are registered by construction; half of rarely/never voters are (assumption).
REGISTERED = np.array([1.0, 0.97, 0.5])
# P(vote | registered, class) before the state calibration: presidential, midterm. 538's definitions:
# always = all or all-but-one elections, sporadic = at least two but fewer, rarely/never = 0 or 1.
BASE_TURNOUT = {"pres": np.array([0.95, 0.60, 0.10]), "mid": np.array([0.85, 0.30, 0.04])}
PARTY_REGISTRATION_STATES = frozenset(
    "AK AZ CA CO CT DE DC FL ID IA KS KY LA ME MD MA NE NV NH NJ NM NY NC OK OR PA RI SD UT WV WY".split()
)
EDU3 = {
    "nohs": "hs_or_less",
    "hs": "hs_or_less",
    "somecol": "somecol",
    "col": "college",
    "postgrad": "college",
}


def _design(race, edu3, age4, sex) -> np.ndarray:
    cols = [np.ones(len(race))]
    cols += [(np.asarray(race) == r).astype(float) for r in census.RACES[1:]]
    cols += [(np.asarray(edu3) == e).astype(float) for e in ("somecol", "college")]
    cols += [(np.asarray(age4) == a).astype(float) for a in (2, 3, 4)]
    cols += [(np.asarray(sex) == "Female").astype(float)]
    return np.column_stack(cols)


def fit_multinomial(x: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, ridge: float = 1.0) -> np.ndarray:
    """Weighted multinomial logit (class 0 is the reference); returns (k-1, p) coefficients."""
    p = x.shape[1]
    onehot = np.eye(k)[y]
    w = w / w.mean()

    def nll(theta):
        b = theta.reshape(k - 1, p)
        eta = np.column_stack([np.zeros(len(x)), x @ b.T])
        eta -= eta.max(axis=1, keepdims=True)
        logp = eta - np.log(np.exp(eta).sum(axis=1, keepdims=True))
        prob = np.exp(logp)
        grad = ((prob - onehot)[:, 1:] * w[:, None]).T @ x
        reg = ridge * theta.copy()
        reg[::p] = 0.0  # no penalty on intercepts
        return -(w * (onehot * logp).sum(axis=1)).sum() + 0.5 * (reg * theta).sum(), grad.ravel() + reg

    res = minimize(nll, np.zeros((k - 1) * p), jac=True, method="L-BFGS-B")
    if not res.success:
        raise RuntimeError(f"multinomial fit failed: {res.message}")
    return res.x.reshape(k - 1, p)


def predict_multinomial(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    eta = np.column_stack([np.zeros(len(x)), x @ coef.T])
    eta -= eta.max(axis=1, keepdims=True)
    e = np.exp(eta)
    return e / e.sum(axis=1, keepdims=True)


def _survey(data_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(
        Path(data_dir) / "fivethirtyeight-data" / "non-voters" / "nonvoters_data.csv",
        usecols=["weight", "Q30", "ppage", "educ", "race", "gender", "voter_category"],
    )
    out = pd.DataFrame(
        {
            "weight": raw["weight"].astype(float),
            "race": raw["race"].map(
                {"White": "White", "Black": "Black", "Hispanic": "Hispanic", "Other/Mixed": "Other"}
            ),
            "edu3": raw["educ"].map(
                {"High school or less": "hs_or_less", "Some college": "somecol", "College": "college"}
            ),
            "age4": pd.cut(raw["ppage"], [0, 29, 44, 64, 200], labels=[1, 2, 3, 4]).astype(int),
            "sex": raw["gender"],
            "cls": raw["voter_category"].map({"always": 0, "sporadic": 1, "rarely/never": 2}),
            # Q30 -> DEM, REP, UNA, LIB; -1 (refused) is dropped from the party fit.
            "party": raw["Q30"].map({2: 0, 1: 1, 3: 2, 5: 2, 4: 3}),
        }
    )
    return out.dropna(subset=["race", "edu3", "sex", "cls"])


@dataclass
class BehaviourModel:
    """P(class | cell) and P(party | cell) for the 160 race x edu5 x age4 x sex cells, and the fits."""

    cells: pd.DataFrame  # race_eth, edu5, age4, sex, p_always, p_sporadic, p_rarely, p_DEM..p_LIB
    class_coef: np.ndarray
    party_coef: np.ndarray
    n_respondents: int
    state_shifts: dict = field(default_factory=dict)

    def cell_index(self) -> dict[tuple, int]:
        return {
            tuple(r): i
            for i, r in enumerate(
                self.cells[["race_eth", "edu5", "age4", "sex"]].itertuples(index=False, name=None)
            )
        }

    @property
    def class_probs(self) -> np.ndarray:
        return self.cells[[f"p_{c}" for c in CLASSES]].to_numpy()

    @property
    def party_probs(self) -> np.ndarray:
        return self.cells[[f"p_{p}" for p in PARTIES]].to_numpy()


@cache
def fit_behaviour(data_dir: Path) -> BehaviourModel:
    s = _survey(data_dir)
    x = _design(s["race"], s["edu3"], s["age4"], s["sex"])
    class_coef = fit_multinomial(x, s["cls"].astype(int).to_numpy(), s["weight"].to_numpy(), 3)
    ps = s.dropna(subset=["party"])
    px = _design(ps["race"], ps["edu3"], ps["age4"], ps["sex"])
    party_coef = fit_multinomial(px, ps["party"].astype(int).to_numpy(), ps["weight"].to_numpy(), 4)
    grid = pd.MultiIndex.from_product(
        [census.RACES, census.EDUS, census.AGES, census.SEXES], names=["race_eth", "edu5", "age4", "sex"]
    ).to_frame(index=False)
    gx = _design(grid["race_eth"], grid["edu5"].map(EDU3), grid["age4"], grid["sex"])
    for name, prob in zip(CLASSES, predict_multinomial(class_coef, gx).T, strict=True):
        grid[f"p_{name}"] = prob
    for name, prob in zip(PARTIES, predict_multinomial(party_coef, gx).T, strict=True):
        grid[f"p_{name}"] = prob
    return BehaviourModel(grid, class_coef, party_coef, len(s))


def elections_for(cycle: int) -> list[int]:
    """The general elections in a snapshot's vote history: the four before the cycle."""
    return [cycle - 8, cycle - 6, cycle - 4, cycle - 2]


def _kind(year: int) -> str:
    return "pres" if year % 4 == 0 else "mid"


@dataclass(frozen=True)
class StateCalibration:
    state: str
    turnout_shift: dict[int, float]  # election year -> logit shift (includes the cycle itself)
    party_shift: float  # added to the DEM log-odds, subtracted from REP
    prev_dem_two_party: float


def _solve_shift(f, lo=-8.0, hi=8.0) -> float:
    a, b = f(lo), f(hi)
    if a > 0:
        return lo
    if b < 0:
        return hi
    return float(brentq(f, lo, hi, xtol=1e-6))


def calibrate_state(
    data_dir: Path, model: BehaviourModel, state_cells: pd.DataFrame, cycle: int, state: str
) -> StateCalibration:
    """Logit shifts for one state: turnout per election (to certified totals) and party (to the
    previous presidential two-party result). `state_cells` holds the state's frame cells with `pop`."""
    idx = model.cell_index()
    rows = [
        idx[k] for k in state_cells[["race_eth", "edu5", "age4", "sex"]].itertuples(index=False, name=None)
    ]
    pop = state_cells["pop"].to_numpy()
    cls = model.class_probs[rows]  # (cells, 3)
    reg = cls * REGISTERED  # P(class and registered)
    shifts: dict[int, float] = {}
    ages = state_cells["age4"].to_numpy()
    for year in [*elections_for(cycle), cycle]:
        # Share of each cell old enough to vote in `year` (ages are uniform inside the band).
        lo = np.array([census.AGE_BANDS[a][0] for a in ages])
        hi = np.array([census.AGE_BANDS[a][1] for a in ages])
        elig = np.clip((hi - np.maximum(lo, 18 + cycle - year) + 1) / (hi - lo + 1), 0, 1)
        eligible = (pop * elig).sum()
        # The cycle's own election is calibrated to the previous election of the same kind.
        source_year = year - 4 if year == cycle else year
        total = census.turnout_total(data_dir, state, source_year)
        base = logit(BASE_TURNOUT[_kind(year)])
        if total is None or total <= 0:
            shifts[year] = 0.0
            continue
        rate = min(total / eligible, 0.95)

        def gap(d, base=base, rate=rate, elig=elig, eligible=eligible):
            return float(((pop * elig)[:, None] * reg * expit(base + d)).sum() / eligible - rate)

        shifts[year] = _solve_shift(gap)
    prev = census.presidential_results(data_dir)
    row = prev[(prev["year"] == cycle - 4) & (prev["state"] == state)]
    target = float(row["dem_two_party"].iloc[0]) if len(row) else 0.5
    registrants = pop * reg.sum(axis=1)
    party = model.party_probs[rows]

    def dem_gap(d):
        dem = party[:, 0] * np.exp(d)
        rep = party[:, 1] * np.exp(-d)
        return float((registrants * dem / (dem + rep)).sum() / registrants.sum() - target)

    return StateCalibration(state, shifts, _solve_shift(dem_gap, -5, 5), target)


def shifted_party_probs(party: np.ndarray, shift: float) -> np.ndarray:
    out = party.copy()
    out[:, 0] *= np.exp(shift)
    out[:, 1] *= np.exp(-shift)
    return out / out.sum(axis=1, keepdims=True)


def turnout_prob(year: int, shift: float) -> np.ndarray:
    """P(vote | registered, class) at `year` for the three classes after the state's shift."""
    return expit(logit(BASE_TURNOUT[_kind(year)]) + shift)
