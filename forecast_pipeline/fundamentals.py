"""The Election-Day prior before any poll: national fundamentals plus state lean, and for Senate and
governor races a regression on presidential lean and incumbency. Every coefficient and scale is
fitted on elections strictly before the cycle being forecast.

President
    national Dem two-party share from a Time-for-Change regression (Abramowitz): the incumbent
    party's share on June net approval, Q2 GDP growth and a first-term dummy, OLS over 1948..C-4,
    damped by polarization as in the Economist's model: the incumbent's departure from 50% is
    f_y (b . x_y), f_y = (ANES share of swing voters in the last survey before y) / (its mean over
    the training years). Fewer persuadable voters, smaller swings for the same economy and approval.
    Out of sample (each year fitted on the years before it) the undamped regression missed
    1996-2020 by 3.1, 3.5, 2.2, -3.3, 0.6, -2.6, -2.0 points (RMS 2.4 for 2008-2020); damped by
    -0.0, 2.1, 1.4, 0.4, -0.3, -1.9, 0.1 (RMS 1.0). 1996-2004 are not backtest cycles, so the
    choice does not rest on the development cycles alone.
    Q2 GDP is clipped to the range the regression was fitted on (2020's -31.4% would otherwise put
    the incumbent at 40%; no model fitted on 1948-2016 knows what a pandemic quarter means).
    State centre = logit(national) + the state's lean in the previous presidential election.
    Uncertainty: the regression's predictive sd (national, shared by all states) and the RMS change
    of state leans between consecutive elections (state part), both on the logit scale; the national
    part grows with the days left, as in the Economist's ``mu_b_T_scale`` (0.03 + 10^-6.6 d^2 prob).

Senate and governor
    logit(result) - logit(previous national presidential share)
        = b_office * lean + c_party * seat_party + c_inc * incumbent_running + c_mid * midterm_penalty
    where lean is the state's previous presidential lean, seat_party = +1/-1 when a Democrat/Republican
    won the seat last time (0 when unknown), incumbent_running = +1/-1 when that winner is on the
    ballot again, and midterm_penalty = -1/+1 in a midterm under a Democratic/Republican president.
    The residuals are split into a cycle-wide part (national environment, shared) and a race part;
    their scales are out of sample (each training cycle predicted from the others, since 2.7.0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline import history

LOGIT_PER_PROB = 4.0  # d logit / dp at p = 0.5
TRAIN_WINDOW_YEARS = 12


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class NationalPrior:
    dem_share: float  # national Dem two-party share
    sd_logit: float  # predictive sd on the logit scale at the as-of date
    details: dict = field(default_factory=dict)


# BEA's advance estimate of Q2 GDP comes out in the last days of July (2008-07-31, 2012-07-27,
# 2016-07-29, 2020-07-30): a forecast dated earlier cannot know the Time-for-Change inputs.
TFC_INPUTS_KNOWN_FROM = (7, 31)


def tfc_national(
    data_dir: str | Path, cycle: int, days_to_election: int, polarization: bool = True
) -> NationalPrior:
    """``polarization=False``: the plain (undamped) regression, kept for comparison."""
    from forecast_pipeline.races import election_day

    as_of = election_day(cycle) - timedelta(days=days_to_election)
    if as_of < date(cycle, *TFC_INPUTS_KNOWN_FROM):
        raise ValueError(
            f"a presidential forecast as of {as_of} cannot use {cycle}'s Time-for-Change inputs: Q2 GDP is "
            f"published around {date(cycle, *TFC_INPUTS_KNOWN_FROM)} (no look-ahead); use an as-of date from then on"
        )
    ab = history.abramowitz(str(Path(data_dir).resolve()))
    train = ab[(ab["year"] < cycle) & ab["incvote"].notna() & ab["juneapp"].notna()]
    row = ab[ab["year"] == cycle]
    if row.empty or row[["juneapp", "q2gdp", "term1"]].isna().any(axis=None):
        raise ValueError(
            f"no Time-for-Change inputs for {cycle}: add a row (year, inc_party, juneapp, q2gdp, term1) "
            f"to {history.USER_FUNDAMENTALS}"
        )
    cols = ["juneapp", "q2gdp", "term1"]
    r = row.iloc[0]
    swing = history.anes_swing_voters(str(Path(data_dir).resolve()))
    swing_year, swing_now = history.swing_share_before(swing, cycle)
    if polarization:
        s_train = np.array([history.swing_share_before(swing, int(y))[1] for y in train["year"]])
        ref = float(s_train.mean())
        f_train, f0 = s_train / ref, swing_now / ref
    else:
        f_train, f0 = np.ones(len(train)), 1.0
    # the damping multiplies the whole departure from 50 (intercept included), so the regression is
    # on f-scaled regressors and the prediction's variance scales the same way
    x = np.column_stack([np.ones(len(train)), train[cols].to_numpy(float)]) * f_train[:, None]
    y = train["incvote"].to_numpy(float) - 50.0
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    dof = len(y) - x.shape[1]
    s2 = float(resid @ resid / dof)
    lo, hi = train["q2gdp"].min(), train["q2gdp"].max()
    q2 = float(np.clip(r["q2gdp"], lo, hi))
    x0 = np.array([1.0, float(r["juneapp"]), q2, float(r["term1"])]) * f0
    pred = 50.0 + float(x0 @ beta)
    pred_sd = float(np.sqrt(s2 * (1.0 + x0 @ np.linalg.inv(x.T @ x) @ x0)))
    dem = pred if r["inc_party"] == "D" else 100.0 - pred
    share = dem / 100.0
    # Economist: national prior sd 0.03 + 10^-6.6 d^2 (probability scale). The regression's own
    # predictive sd replaces their 0.03; the growth term is theirs.
    sd_prob = pred_sd / 100.0 + 10**-6.6 * days_to_election**2
    sd_logit = sd_prob / (share * (1.0 - share))
    return NationalPrior(
        share,
        float(sd_logit),
        {
            "tfc_coefficients": dict(zip(["intercept", *cols], beta.round(4).tolist(), strict=True)),
            "tfc_train_years": [int(v) for v in train["year"]],
            "tfc_prediction_incumbent_pct": round(pred, 3),
            "tfc_predictive_sd_pct": round(pred_sd, 3),
            "q2gdp_used": q2,
            "q2gdp_clipped": bool(q2 != float(r["q2gdp"])),
            "polarization_factor": round(float(f0), 4),
            "swing_voter_share": swing_now if polarization else None,
            "swing_voter_survey_year": swing_year if polarization else None,
        },
    )


def lean_change_sd(leans: pd.DataFrame, last_n: int = 6) -> float:
    """RMS change of state leans between consecutive presidential elections (logit)."""
    d = leans.diff().iloc[-last_n:]
    return float(np.sqrt(np.nanmean(d.to_numpy() ** 2)))


def presidential_prior(
    data_dir: str | Path,
    cycle: int,
    states: list[str],
    days_to_election: int,
    later_results: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Per state: prior_logit, sd_state; and national sd (shared) in the returned info dict."""
    hist = history.presidential_history(data_dir, cycle, later_results)
    leans = history.state_leans(hist)
    nat = tfc_national(data_dir, cycle, days_to_election)
    last = leans.iloc[-1]
    out = pd.DataFrame({"state": states})
    out["lean"] = out["state"].map(last).astype(float)
    if out["lean"].isna().any():
        missing = out.loc[out["lean"].isna(), "state"].tolist()
        raise ValueError(f"no previous presidential result for {missing}")
    out["prior_logit"] = float(_logit(nat.dem_share)) + out["lean"]
    sd_state = lean_change_sd(leans)
    info = {
        "national_dem_share": nat.dem_share,
        "national_sd_logit": nat.sd_logit,
        "state_sd_logit": sd_state,
        **nat.details,
    }
    return out, info


# ------------------------------------------------------------------------------------------------
# Senate and governor
# ------------------------------------------------------------------------------------------------


def _last_name(name: str) -> str:
    parts = [
        p
        for p in str(name).replace(",", " ").split()
        if p.rstrip(".").lower() not in {"jr", "sr", "ii", "iii", "iv"}
    ]
    return parts[-1].lower() if parts else ""


def seat_history(results: pd.DataFrame) -> pd.DataFrame:
    """One row per down-ballot race with a Dem-vs-Rep result: race_id, cycle, office, state, seat,
    dem_two_party, winner_party, winner_name, candidates (list of (name, party)).

    ``results``: race_id, cycle, office, state, senate_class, name, party, votes (general elections)."""
    rows = []
    for race_id, g in results.groupby("race_id", sort=False):
        first = g.iloc[0]
        dem = g.loc[g["party"] == "DEM", "votes"].sum()
        rep = g.loc[g["party"] == "REP", "votes"].sum()
        win = g.sort_values("votes", ascending=False).iloc[0]
        seat = f"{first['state']}-{first['office']}"
        if first["office"] == "senate":
            seat += f"-c{first['senate_class']}"
        rows.append(
            {
                "race_id": race_id,
                "cycle": int(first["cycle"]),
                "office": first["office"],
                "state": first["state"],
                "seat": seat,
                "dem_two_party": dem / (dem + rep) if dem > 0 and rep > 0 else np.nan,
                "winner_party": win["party"],
                "winner_name": win["name"],
                "candidates": list(zip(g["name"], g["party"], strict=True)),
            }
        )
    return pd.DataFrame(rows)


TERM_YEARS = {"senate": 6, "governor": 4}


def incumbency(seats: pd.DataFrame) -> pd.DataFrame:
    """Adds seat_party (+1 D, -1 R, 0 unknown/other) and incumbent_running (+1/-1/0) from the
    previous election of the same seat (names and parties only, known before the election); a previous
    election more than a term (``TERM_YEARS``) back counts as unknown."""
    seats = seats.sort_values("cycle").copy()
    seat_party, inc_run, prev_share, prev_cycle = [], [], [], []
    last: dict[str, pd.Series] = {}
    for _, r in seats.iterrows():
        prev = last.get(r["seat"])
        if prev is not None and r["cycle"] - prev["cycle"] > TERM_YEARS.get(r["office"], 6):
            # the seat's last election is missing (e.g. rejected by the results loader as a partial
            # count): an older one would name the wrong incumbent
            prev = None
        sp, ir = 0, 0
        prev_share.append(prev["dem_two_party"] if prev is not None else np.nan)
        prev_cycle.append(prev["cycle"] if prev is not None else np.nan)
        if prev is not None:
            sp = {"DEM": 1, "REP": -1}.get(prev["winner_party"], 0)
            prev_last = _last_name(prev["winner_name"])
            if sp and any(
                _last_name(n) == prev_last and p == prev["winner_party"] for n, p in r["candidates"]
            ):
                ir = sp
        seat_party.append(sp)
        inc_run.append(ir)
        last[r["seat"]] = r
    seats["seat_party"] = seat_party
    seats["incumbent_running"] = inc_run
    seats["prev_seat_share"] = prev_share
    seats["prev_seat_cycle"] = prev_cycle
    return seats


def _design(df: pd.DataFrame, environment: str = "generic") -> np.ndarray:
    seat = df["seat_lean"].astype(float)
    known = seat.notna().astype(float)
    return np.column_stack(
        [
            (df["office"] == "senate") * df["lean"],
            (df["office"] == "governor") * df["lean"],
            df["seat_party"],
            df["incumbent_running"],
            df[ENVIRONMENT_COLUMN[environment]],
            seat.fillna(0.0) * known,
            1.0 - known,
            np.ones(len(df)),
        ]
    ).astype(float)


# The national environment term: the generic-ballot swing from the previous presidential vote when
# the generic ballot is known on the as-of date, else the average midterm swing against the
# president's party (a fitted constant that cannot tell 2010 from 2014).
ENVIRONMENT_COLUMN = {"generic": "generic_swing", "midterm": "midterm_penalty"}


def design_names(environment: str = "generic") -> list[str]:
    return [
        "lean_senate",
        "lean_governor",
        "seat_party",
        "incumbent_running",
        ENVIRONMENT_COLUMN[environment],
        "seat_lean_last_time",
        "seat_lean_unknown",
        "intercept",
    ]


def downballot_features(
    seats: pd.DataFrame, pres_hist_all: pd.DataFrame, environment_logit: dict[int, float] | None = None
) -> pd.DataFrame:
    """Attach lean (previous presidential election), previous national share, midterm penalty and
    the generic-ballot swing (``environment_logit``: cycle -> logit of the generic-ballot Democratic
    share at the forecast's horizon; NaN where unknown)."""
    leans = history.state_leans(pres_hist_all)
    nat = history.national_share(pres_hist_all)
    out = seats.copy()
    prev = out["cycle"].map(lambda c: max([y for y in leans.index if y < c], default=np.nan))
    out["prev_pres"] = prev
    out["lean"] = [
        leans.at[p, s] if p == p and s in leans.columns else np.nan
        for p, s in zip(prev, out["state"], strict=True)
    ]
    out["prev_nat_logit"] = _logit(prev.map(nat).astype(float))
    out["midterm_penalty"] = [
        (0 if c % 4 == 0 else (-1 if history.president_party(c) == "D" else 1)) for c in out["cycle"]
    ]
    env = out["cycle"].map(environment_logit or {}).astype(float)
    out["generic_swing"] = env - out["prev_nat_logit"]

    # the seat's own lean last time it was contested (its result against that time's national share),
    # clipped so one lopsided or uncontested-in-practice race cannot dominate
    def _prev_nat(c):
        ys = [y for y in nat.index if y < c]
        return _logit(nat[max(ys)]) if ys else np.nan

    ps = out["prev_seat_share"].astype(float).clip(0.1, 0.9)
    out["seat_lean"] = (
        _logit(ps) - out["prev_seat_cycle"].map(lambda c: _prev_nat(c) if c == c else np.nan)
    ).clip(-1.5, 1.5)
    return out


def _split_rms(resid: np.ndarray, t: pd.DataFrame) -> tuple[float, float]:
    """RMS of the (cycle, office) means of ``resid`` (the shared part) and of what is left (race part)."""
    groups = pd.Series(resid).groupby([t["cycle"].to_numpy(), t["office"].to_numpy()])
    race_part = resid - groups.transform("mean").to_numpy()
    return float(np.sqrt(np.mean(groups.mean().to_numpy() ** 2))), float(np.sqrt(np.mean(race_part**2)))


def fit_downballot(train: pd.DataFrame, environment: str = "generic") -> dict:
    # odd-year specials inform the seat's incumbency but are not part of an even-year environment
    t = train[train["cycle"] % 2 == 0]
    t = t.dropna(subset=["dem_two_party", "lean", "prev_nat_logit", ENVIRONMENT_COLUMN[environment]])
    t = t[(t["dem_two_party"] > 0.15) & (t["dem_two_party"] < 0.85)]
    y = _logit(t["dem_two_party"]) - t["prev_nat_logit"].to_numpy()
    x = _design(t, environment)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    in_nat, in_race = _split_rms(y - x @ beta, t)
    # The prior's sd is a forecast's error, so it is measured out of sample: each training cycle is
    # predicted by the regression fitted on the others. In sample, the intercept and the environment
    # coefficient absorb part of every cycle's shared miss (12 cycle x office groups, 8 coefficients).
    # With fewer than three training cycles there is nothing to predict from; keep the in-sample scales.
    cycles = t["cycle"].to_numpy()
    train_cycles = np.unique(cycles)
    nat_sd, race_sd = in_nat, in_race
    if len(train_cycles) >= 3:
        loco = np.empty(len(t))
        for c in train_cycles:
            held = cycles == c
            b, *_ = np.linalg.lstsq(x[~held], y[~held], rcond=None)
            loco[held] = y[held] - x[held] @ b
        nat_sd, race_sd = _split_rms(loco, t)
    return {
        "beta": beta,
        "names": design_names(environment),
        "environment": environment,
        "national_sd_logit": nat_sd,
        "race_sd_logit": race_sd,
        "national_sd_logit_in_sample": in_nat,
        "race_sd_logit_in_sample": in_race,
        "n_train": int(len(t)),
        "train_cycles": [int(c) for c in train_cycles],
    }


def downballot_prior(
    results: pd.DataFrame,
    pres_hist_all: pd.DataFrame,
    cycle: int,
    race_ids: list[str],
    environment_logit: dict[int, float] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """prior_logit per race of ``cycle`` (fitted on earlier cycles) and the scales.

    ``environment_logit`` maps cycles to the generic-ballot environment at the forecast's horizon
    (see ``environment``); when ``cycle`` has one, the regression uses the generic-ballot swing,
    otherwise the midterm penalty."""
    seats = seat_history(results[results["cycle"] <= cycle])
    # Races of the cycle with no certified result yet (a live forecast): their seat and state come
    # from the race id; with no candidate list, incumbent_running is 0.
    known = set(seats["race_id"]) if len(seats) else set()
    extra = []
    for rid in race_ids:
        if rid in known:
            continue
        parts = rid.split("-")
        office, state = parts[1], parts[2]
        seat = f"{state}-{office}" + (f"-{parts[3]}" if office == "senate" and len(parts) > 3 else "")
        extra.append(
            {
                "race_id": rid,
                "cycle": cycle,
                "office": office,
                "state": state,
                "seat": seat,
                "dem_two_party": np.nan,
                "winner_party": None,
                "winner_name": "",
                "candidates": [],
            }
        )
    if extra:
        seats = pd.concat([seats, pd.DataFrame(extra)], ignore_index=True)
    seats = incumbency(seats)
    env = environment_logit or {}
    environment = "generic" if np.isfinite(env.get(cycle, np.nan)) else "midterm"
    feats = downballot_features(seats, pres_hist_all[pres_hist_all["cycle"] < cycle], env)
    # Partisanship of down-ballot voting has changed a lot since the 1970s: fit on the last
    # TRAIN_WINDOW_YEARS only (two full Senate rotations).
    fitted = fit_downballot(
        feats[(feats["cycle"] < cycle) & (feats["cycle"] >= cycle - TRAIN_WINDOW_YEARS)], environment
    )
    target = feats.set_index("race_id").reindex(race_ids)
    missing = target["lean"].isna()
    if missing.any():
        raise ValueError(f"no previous presidential lean for {list(target.index[missing])}")
    target = target.fillna({"seat_party": 0, "incumbent_running": 0})
    pred = _design(target.reset_index(), environment) @ fitted["beta"] + target["prev_nat_logit"].to_numpy()
    out = pd.DataFrame(
        {
            "race_id": race_ids,
            "prior_logit": pred,
            "seat_party": target["seat_party"].to_numpy(),
            "incumbent_running": target["incumbent_running"].to_numpy(),
        }
    )
    info = {
        "downballot_coefficients": dict(
            zip(fitted["names"], np.round(fitted["beta"], 4).tolist(), strict=True)
        ),
        "national_sd_logit": fitted["national_sd_logit"],
        "state_sd_logit": fitted["race_sd_logit"],
        "national_sd_logit_in_sample": fitted["national_sd_logit_in_sample"],
        "state_sd_logit_in_sample": fitted["race_sd_logit_in_sample"],
        "downballot_n_train": fitted["n_train"],
        "downballot_train_cycles": fitted["train_cycles"],
        "downballot_environment": environment,
    }
    return out, info
