"""The MRP state estimates as a forecast input: a demographic prior for the presidential state lean
and one more feature of the state similarity (``similarity``), under a no-look-ahead rule for surveys.

Which MRP estimates a forecast may use
    A forecast as of date D uses no survey fielded after D. An MRP estimate for cycle C depends on two
    kinds of survey: the vote-choice survey it was fitted on (``mrp.SURVEY_CYCLES``) and the surveys
    the synthetic voter file was generated from (its turnout classes and party identification come
    from 538's 2020 non-voter survey, for every cycle; ``voterfile.behaviour``). Both must have been
    fielded on or before D (the convention of the polls: a poll that ended on D is visible on D).
    The Upshot's respondent files carry no interview dates: they are pre-election surveys, so the
    latest they can have been fielded, the eve of Election Day, is taken (conservative). The
    non-voter survey was fielded Sep 15-25 2020 (Ipsos KnowledgePanel; ``SOURCES.md``).

    Consequence: with the current generator no forecast dated before 2020-09-25 may use the MRP
    (the 2004-2016 backtests run without it), and a 2012 forecast before 2012-11-05 could use only
    the 2004 survey post-stratified on the 2012 file.

How the estimates enter the forecast (``structure.build_structure``)
    * similarity: the MRP lean (logit) is standardised and added as one more kernel feature;
    * president prior: ``precision_weighted_lean`` of the fundamentals lean and the MRP lean, each
      weighted by the inverse square of its error sd measured on cycles before the forecast cycle
      (the MRP's on cycles with the same survey-to-cycle gap; none: the prior is left alone).
    Without admissible estimates (no voter file, no MRP run, or surveys fielded after D) both are
    skipped and the forecast is exactly the one without MRP; ``info["mrp"]`` says which happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline import history
from forecast_pipeline.races import election_day

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Survey:
    key: str
    description: str
    fielded_through: date
    basis: str


def _eve(cycle: int) -> date:
    return election_day(cycle) - timedelta(days=1)


SURVEYS: dict[str, Survey] = {
    s.key: s
    for s in (
        Survey(
            "upshot-2004",
            "The Upshot's 2004 pre-election respondents (9,046)",
            _eve(2004),
            "no interview dates in the file: pre-election, so at the latest the eve of Election Day",
        ),
        Survey(
            "upshot-2012",
            "The Upshot's 2012 pre-election respondents (13,069, pooled Pew)",
            _eve(2012),
            "no interview dates in the file: pre-election, so at the latest the eve of Election Day",
        ),
        Survey(
            "538-nonvoters-2020",
            "538's non-voter survey (5,836, Ipsos KnowledgePanel)",
            date(2020, 9, 25),
            "fielded Sep 15-25 2020 (data/raw/SOURCES.md)",
        ),
    )
}
# vote-choice survey of each MRP survey_cycle (forecast.mrp_state_estimates.survey_cycle)
VOTE_CHOICE_SURVEY = {2004: "upshot-2004", 2012: "upshot-2012"}
# surveys behind every voter file the generator writes (voterfile.behaviour: classes and party)
VOTERFILE_SURVEYS = ("538-nonvoters-2020",)


def fielded_by(key: str, as_of: date) -> bool:
    """True when survey ``key`` had finished fieldwork on or before ``as_of``."""
    return SURVEYS[key].fielded_through <= as_of


def admissible_survey_cycles(as_of: date) -> tuple[list[int], str | None]:
    """MRP survey cycles a forecast as of ``as_of`` may use, and why none when the list is empty."""
    late = [k for k in VOTERFILE_SURVEYS if not fielded_by(k, as_of)]
    if late:
        s = SURVEYS[late[0]]
        return [], (
            f"the voter file is generated with {s.description}, fielded through "
            f"{s.fielded_through}, after as_of {as_of}"
        )
    ok = [c for c, k in sorted(VOTE_CHOICE_SURVEY.items()) if fielded_by(k, as_of)]
    if not ok:
        return [], f"no vote-choice survey fielded by {as_of}"
    return ok, None


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def _mrp_logit_lean(engine: sa.Engine, cycle: int, survey_cycles: list[int]) -> tuple[pd.Series, int]:
    """MRP state lean on the logit scale (as ``history.state_leans``: logit state share minus logit
    national share, the national share weighted by the voter file's expected voters)."""
    from forecast_pipeline.voterfile.mrp import mrp_state_lean

    df = mrp_state_lean(engine, cycle, survey_cycles)
    national = df["dem_two_party_mean"] - df["lean"]
    lean = pd.Series(_logit(df["dem_two_party_mean"]) - _logit(national), index=df["state"].to_numpy())
    return lean, int(df["survey_cycle"].iloc[0])


@dataclass
class MRPLean:
    """The admissible MRP lean for one forecast and its calibration."""

    lean_logit: pd.Series  # by state
    survey_cycle: int
    error_sd_logit: float | None  # RMSE of the MRP lean on earlier cycles (None: no earlier cycle)
    info: dict = field(default_factory=dict)


def mrp_lean_error_sd(
    engine: sa.Engine,
    data_dir: str | Path,
    cycle: int,
    as_of: date,
    later_results: pd.DataFrame | None = None,
    survey_gap: int = 0,
) -> tuple[float | None, dict]:
    """RMSE (logit) of the MRP state lean against the certified lean, pooled over the states of every
    cycle c before ``cycle`` with MRP estimates from the survey of cycle c - ``survey_gap``, admissible
    on ``as_of``.

    Only the same survey-to-cycle gap as the forecast's counts: a survey post-stratified on its own
    cycle's electorate (gap 0: 0.157 logit on 2004) says little about the error of an eight-year-old
    survey on a later electorate. The 2020 backtest showed it: calibrated on gap-0 cycles, the 2012
    survey got weight 0.47 in the 2020 prior and moved the prior's state RMSE from 0.020 to 0.027."""
    allowed, _ = admissible_survey_cycles(as_of)
    with engine.connect() as conn:
        earlier = sorted(
            conn.execute(
                sa.text("SELECT DISTINCT cycle FROM forecast.mrp_state_estimates WHERE cycle < :c"),
                {"c": cycle},
            ).scalars()
        )
    leans = history.state_leans(history.presidential_history(data_dir, cycle, later_results))
    errs, used = [], []
    for c in earlier:
        if c not in leans.index or (c - survey_gap) not in allowed:
            continue
        try:
            mrp, _ = _mrp_logit_lean(engine, int(c), [c - survey_gap])
        except LookupError:
            continue
        actual = leans.loc[c].reindex(mrp.index)
        e = (mrp - actual).dropna()
        if len(e):
            errs.append(e.to_numpy())
            used.append(int(c))
    if not errs:
        return None, {"calibration_cycles": [], "calibration_survey_gap": survey_gap}
    e = np.concatenate(errs)
    return float(np.sqrt(np.mean(e**2))), {
        "calibration_cycles": used,
        "calibration_survey_gap": survey_gap,
        "calibration_n_states": int(len(e)),
    }


def load_mrp_lean(
    engine: sa.Engine,
    data_dir: str | Path,
    cycle: int,
    as_of: date,
    later_results: pd.DataFrame | None = None,
) -> tuple[MRPLean | None, dict]:
    """The admissible MRP lean for a forecast of ``cycle`` as of ``as_of``, or None with the reason.

    Never raises for a missing voter file, MRP table or survey: the forecast then runs without MRP."""
    allowed, why = admissible_survey_cycles(as_of)
    if not allowed:
        return None, {"used": False, "reason": why}
    try:
        lean, survey_cycle = _mrp_logit_lean(engine, cycle, allowed)
        sd, cal = mrp_lean_error_sd(engine, data_dir, cycle, as_of, later_results, cycle - survey_cycle)
    except LookupError as exc:
        return None, {"used": False, "reason": str(exc)}
    except sa.exc.DBAPIError as exc:  # a database without the voter-file migrations
        return None, {"used": False, "reason": f"MRP tables not readable: {type(exc.orig).__name__}"}
    s = SURVEYS[VOTE_CHOICE_SURVEY[survey_cycle]]
    info = {
        "used": True,
        "survey_cycle": survey_cycle,
        "survey": s.description,
        "survey_fielded_through": str(s.fielded_through),
        "voterfile_surveys": {k: str(SURVEYS[k].fielded_through) for k in VOTERFILE_SURVEYS},
        "n_states": int(lean.notna().sum()),
        "mrp_lean_sd_logit": sd,
        **cal,
    }
    return MRPLean(lean, survey_cycle, sd, info), info


def precision_weighted_lean(
    fundamentals_lean: pd.Series, mrp_lean: pd.Series, fundamentals_sd: float, mrp_sd: float
) -> tuple[pd.Series, float]:
    """Combine the two estimates of each state's presidential lean (logit, same index).

    Why: the fundamentals lean (the state's lean in the previous election) and the MRP lean (this
    cycle's survey post-stratified on this cycle's electorate) are two noisy measurements of the same
    quantity. With errors of sd s_f and s_m, the minimum-variance unbiased combination of two
    independent estimates weights each by its precision: w = s_f^2 / (s_f^2 + s_m^2) on the MRP lean.
    Both sds are measured on cycles before the forecast cycle (s_f: the RMS change of state leans
    between consecutive elections; s_m: the MRP lean's RMSE against the certified lean), so the
    weight uses no information from the cycle being forecast. The errors are not truly independent
    (the MRP uses the previous result as a state predictor), so the combined lean's sd is not shrunk:
    the prior keeps the fundamentals' state sd. A state without an MRP estimate keeps its
    fundamentals lean. Returns the combined lean and w."""
    w = float(fundamentals_sd**2 / (fundamentals_sd**2 + mrp_sd**2))
    m = mrp_lean.reindex(fundamentals_lean.index)
    combined = fundamentals_lean.where(m.isna(), w * m + (1.0 - w) * fundamentals_lean)
    return combined, w
