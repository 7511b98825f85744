"""Joint simulations from a posterior, and what they add up to: electoral votes, tipping points,
Senate seats and control, conditional probabilities.

Pure numpy / pandas: no Dagster, no SQL (the Senate seats not up come from
:mod:`forecast_pipeline.senate_seats`; the database writes from :mod:`forecast_pipeline.publish_outputs`).

**What a simulation is.** One simulation is one posterior draw of ``election_day_share`` for *every*
race of the fit at once, so whatever the model correlates across races (the national swing, the
national polling error, later a state-similarity structure) is kept: "Dem loses PA" and "Dem loses WI"
come from the same draw. Races of different offices fitted together share the same draws too.

**Resampling.** When the posterior has fewer draws ``S`` (chains x draws) than ``n_sims``, whole draws
are resampled, never races independently. The resampling is *balanced*: every draw is used
``n_sims // S`` times, and ``n_sims % S`` distinct draws, chosen with the fixed seed, once more. So a
summary over the simulations equals the summary over the posterior draws up to that remainder (no
extra multinomial noise), and the joint structure is exactly that of the posterior. The ``draw``
column says which flat posterior draw (chain-major) a simulation is; duplicates are identical. When the
posterior has at least ``n_sims`` draws, all ``S`` of them are used, in order (no resampling).

**A race's winner** is the Democrat when the Democratic two-party share is above 0.5.

Race ids are ``{cycle}-{office}-{state}[-{district}][-c{class}]`` (``forecast_pipeline.races.race_key``);
the office of a race is the ``office`` column of the races frame when present, else read from its id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast_pipeline.races import electoral_votes as ev_by_state

VAR = "election_day_share"
DEFAULT_N_SIMS = 10_000
DEFAULT_SEED = 20261127
TOTAL_EV = 538
# Maine and Nebraska give 2 electoral votes to the statewide winner and 1 to each congressional
# district's winner.
DISTRICT_STATES: dict[str, int] = {"ME": 2, "NE": 3}
AT_LARGE_EV = 2
SENATE_SEATS = 100
DEM, REP = "DEM", "REP"


# ---------------------------------------------------------------------------------------------------
# joint draws


def _draw_matrix(idata_or_draws, race_ids: list[str] | None) -> tuple[np.ndarray, list[str]]:
    """(S, R) Election-Day shares with (chain, draw) flattened chain-major, and the race ids."""
    obj = idata_or_draws
    if isinstance(obj, pd.DataFrame):  # wide: one row per draw, one column per race
        ids = [str(c) for c in obj.columns]
        arr = obj.to_numpy(dtype=float)
    else:
        import xarray as xr

        if isinstance(obj, xr.DataTree):
            da = obj["posterior"][VAR]
        elif isinstance(obj, xr.Dataset):
            da = obj[VAR]
        elif isinstance(obj, xr.DataArray):
            da = obj
        else:
            raise TypeError(f"cannot read draws from {type(obj).__name__}")
        da = da.transpose(..., "race")
        sample_dims = [d for d in da.dims if d != "race"]
        ids = [str(r) for r in da["race"].values]
        arr = (
            np.asarray(da.values, dtype=float).reshape(-1, da.sizes["race"])
            if sample_dims
            else np.asarray(da.values, dtype=float)[None, :]
        )
    if race_ids is None:
        return arr, ids
    pos = {r: i for i, r in enumerate(ids)}
    missing = [r for r in race_ids if r not in pos]
    if missing:
        raise KeyError(f"race(s) not in the posterior: {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    return arr[:, [pos[r] for r in race_ids]], list(race_ids)


def resample_index(n_draws: int, n_sims: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Which flat posterior draw each simulation uses (balanced resampling; see the module doc)."""
    if n_draws <= 0:
        raise ValueError("the posterior has no draws")
    if n_draws >= n_sims:
        return np.arange(n_draws)
    rng = np.random.default_rng(seed)
    reps, extra = divmod(n_sims, n_draws)
    idx = np.concatenate([np.tile(np.arange(n_draws), reps), rng.choice(n_draws, size=extra, replace=False)])
    return np.sort(idx, kind="stable")


def joint_simulations(
    idata_or_draws,
    race_ids: Iterable[str] | None = None,
    n_sims: int = DEFAULT_N_SIMS,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Long table of joint simulations: ``sim``, ``draw``, ``race_id``, ``dem_share``, ``dem_win``.

    ``idata_or_draws``: the posterior DataTree (``posterior/election_day_share``, dims chain, draw,
    race), a Dataset or DataArray of it, or a wide DataFrame (one row per draw, one column per race).
    ``race_ids``: the races to keep (all when None), e.g. one office's. Every race of a simulation comes
    from the same posterior draw. ``max(n_sims, S)`` simulations (S = posterior draws).
    """
    arr, ids = _draw_matrix(idata_or_draws, None if race_ids is None else [str(r) for r in race_ids])
    idx = resample_index(arr.shape[0], n_sims, seed)
    shares = arr[idx]  # (N, R)
    n, r = shares.shape
    return pd.DataFrame(
        {
            "sim": np.repeat(np.arange(n), r),
            "draw": np.repeat(idx, r),
            "race_id": np.tile(np.array(ids, dtype=object), n),
            "dem_share": shares.ravel(),
            "dem_win": shares.ravel() > 0.5,
        }
    )


def wide_shares(sims: pd.DataFrame) -> pd.DataFrame:
    """Simulations as a (sim x race_id) frame of Democratic shares; accepts the long or the wide form."""
    if {"sim", "race_id", "dem_share"} <= set(sims.columns):
        sim, rid = sims["sim"].to_numpy(), sims["race_id"].to_numpy()
        r = int((sim == sim[0]).sum()) if len(sim) else 0
        if r and len(sim) % r == 0:  # the layout joint_simulations writes: sim-major, races in one order
            sim2, rid2 = sim.reshape(-1, r), rid.reshape(-1, r)
            if (sim2 == sim2[:, :1]).all() and (rid2 == rid2[:1]).all() and len(set(rid2[0])) == r:
                return pd.DataFrame(
                    sims["dem_share"].to_numpy(dtype=float).reshape(-1, r),
                    index=pd.Index(sim2[:, 0], name="sim"),
                    columns=[str(c) for c in rid2[0]],
                )
        wide = sims.pivot(index="sim", columns="race_id", values="dem_share")
        wide.columns = [str(c) for c in wide.columns]
        return wide
    return sims


def office_of(race_id: str) -> str:
    """The office part of a race id (``2020-senate-GA-c2`` -> ``senate``)."""
    parts = str(race_id).split("-")
    if len(parts) < 3:
        raise ValueError(f"{race_id!r} is not a race id")
    return parts[1]


def cycle_of(race_id: str) -> int:
    return int(str(race_id).split("-")[0])


def office_races(races: pd.DataFrame, office: str) -> pd.DataFrame:
    """The rows of ``races`` for one office (its ``office`` column, else the office in the race id)."""
    offices = races["office"] if "office" in races.columns else races["race_id"].map(office_of)
    return races[offices.astype(str).to_numpy() == office]


def race_label(state: str, district) -> str:
    return state if district is None or pd.isna(district) else f"{state}-{int(district)}"


# ---------------------------------------------------------------------------------------------------
# Electoral College


@dataclass
class ElectoralVotes:
    dem_ev: pd.Series  # per sim (index sim)
    distribution: pd.DataFrame  # ev, probability (every EV total that occurs)
    p_dem_win: float  # P(Dem EVs >= majority)
    p_tie: float  # P(Dem EVs == total / 2)
    mean: float
    q10: float
    q50: float
    q90: float
    allocation: pd.DataFrame  # race_id, label, state, district, ev: what each race is worth
    total_ev: int  # EVs the modelled races carry (538 with all states and DC)
    majority: int
    district_fallback: list[str] = field(default_factory=list)  # ME/NE states whose districts were not
    # modelled: their EVs all went to the statewide winner
    missing_states: list[str] = field(default_factory=list)  # states with EVs and no modelled race


def ev_allocation(races: pd.DataFrame, cycle: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """EVs each presidential race is worth: a state's EVs (``races.electoral_votes``, else the
    apportionment for the cycle) to its statewide race; in Maine and Nebraska 1 EV to each modelled
    district race and the rest (the 2 at-large EVs plus any district not modelled) to the statewide
    race. Returns (race_id, label, state, district, ev) and the ME/NE states with a district not
    modelled (its EV then follows the statewide winner)."""
    pres = office_races(races, "president").copy()
    if pres.empty:
        raise ValueError("no presidential races")
    if cycle is None:
        cycle = cycle_of(pres["race_id"].iloc[0])
    apportioned = ev_by_state(cycle)
    district = pres["district"] if "district" in pres.columns else pd.Series(pd.NA, index=pres.index)
    is_district = district.notna()
    rows, fallback = [], []
    for rid, state, d, isd in zip(pres["race_id"], pres["state"], district, is_district, strict=True):
        if isd:
            ev = 1
        else:
            ev = None
            if "electoral_votes" in pres.columns:
                v = pres.loc[pres["race_id"] == rid, "electoral_votes"].iloc[0]
                ev = None if pd.isna(v) else int(v)
            if ev is None:
                ev = apportioned[state]
            if state in DISTRICT_STATES:
                n_modelled = int((is_district & (pres["state"] == state)).sum())
                if n_modelled > DISTRICT_STATES[state]:
                    raise ValueError(
                        f"{state} has {n_modelled} district races; it has {DISTRICT_STATES[state]}"
                    )
                if n_modelled < DISTRICT_STATES[state]:
                    fallback.append(state)
                ev -= n_modelled
        rows.append(
            {
                "race_id": str(rid),
                "label": race_label(state, d),
                "state": state,
                "district": None if not isd else int(d),
                "ev": int(ev),
            }
        )
    alloc = pd.DataFrame(rows)
    orphan = alloc[
        alloc["district"].notna() & ~alloc["state"].isin(alloc.loc[alloc["district"].isna(), "state"])
    ]
    if len(orphan):
        raise ValueError(f"district race(s) without their statewide race: {list(orphan['race_id'])}")
    return alloc, sorted(fallback)


def _ev_matrix(sims: pd.DataFrame, races: pd.DataFrame, cycle: int | None):
    alloc, fallback = ev_allocation(races, cycle)
    wide = wide_shares(sims)
    shares = wide[alloc["race_id"].tolist()].to_numpy(dtype=float)
    return wide.index, shares, alloc, fallback


def electoral_votes(
    sims: pd.DataFrame, races: pd.DataFrame, cycle: int | None = None, total_ev: int = TOTAL_EV
) -> ElectoralVotes:
    """Democratic electoral votes per simulation and their distribution.

    Winner-take-all by state except Maine and Nebraska (see :func:`ev_allocation`). ``total_ev`` is
    the size of the College (538); the majority is ``total_ev // 2 + 1`` (270) and a tie is
    ``total_ev / 2`` (269). Quantiles are of the per-simulation EV totals (numpy's linear rule).
    """
    index, shares, alloc, fallback = _ev_matrix(sims, races, cycle)
    ev = alloc["ev"].to_numpy()
    dem_ev = (shares > 0.5).astype(np.int64) @ ev
    counts = pd.Series(dem_ev).value_counts(normalize=True).sort_index()
    majority = total_ev // 2 + 1
    q10, q50, q90 = np.quantile(dem_ev, (0.1, 0.5, 0.9))
    cyc = cycle if cycle is not None else cycle_of(alloc["race_id"].iloc[0])
    missing = sorted(set(ev_by_state(cyc)) - set(alloc["state"])) if total_ev == TOTAL_EV else []
    return ElectoralVotes(
        dem_ev=pd.Series(dem_ev, index=index, name="dem_ev"),
        distribution=pd.DataFrame({"ev": counts.index.astype(int), "probability": counts.to_numpy()}),
        p_dem_win=float(np.mean(dem_ev >= majority)),
        p_tie=float(np.mean(dem_ev * 2 == total_ev)),
        mean=float(dem_ev.mean()),
        q10=float(q10),
        q50=float(q50),
        q90=float(q90),
        allocation=alloc,
        total_ev=int(ev.sum()),
        majority=majority,
        district_fallback=fallback,
        missing_states=missing,
    )


def tipping_point(
    sims: pd.DataFrame, races: pd.DataFrame, cycle: int | None = None, total_ev: int = TOTAL_EV
) -> pd.DataFrame:
    """P(each presidential race is the tipping point): race_id, label, probability (sorted, largest first).

    In each simulation with a winner, the races are sorted by the winner's margin, largest first (by
    Democratic share descending when the Democrat wins, ascending when the Republican does; ties in
    share by race id); the tipping point is the race whose EVs carry the winner's running total to the
    majority (270). Maine and Nebraska districts are their own races when modelled (1 EV; the
    statewide race then carries the rest). A simulation with an EV tie has no tipping point, so the
    probabilities sum to 1 - P(tie).
    """
    index, shares, alloc, _ = _ev_matrix(sims, races, cycle)
    ev = alloc["ev"].to_numpy()
    majority = total_ev // 2 + 1
    dem_ev = (shares > 0.5).astype(np.int64) @ ev
    rep_ev = ev.sum() - dem_ev
    dem_wins, rep_wins = dem_ev >= majority, rep_ev >= majority
    # ascending argsort of the key = races from the winner's best to worst
    key = np.where(dem_wins[:, None], -shares, shares)
    order = np.argsort(key, axis=1, kind="stable")  # columns are in race-id order: ties by race id
    cum = np.cumsum(ev[order], axis=1)
    pos = np.argmax(cum >= majority, axis=1)
    tp = order[np.arange(len(order)), pos]
    has_winner = dem_wins | rep_wins
    counts = np.bincount(tp[has_winner], minlength=len(ev)) / len(tp)
    out = alloc[["race_id", "label"]].assign(probability=counts)
    return out.sort_values(["probability", "race_id"], ascending=[False, True]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------
# Senate


@dataclass
class SenateControl:
    dem_seats: pd.Series  # per sim: Dem (and Dem-caucusing) seats after the election
    seat_distribution: pd.DataFrame  # dem_seats, probability
    p_dem_control: float  # P(Dem seats >= 51, or = 50 with a Dem VP)
    p_tie_50_50: float
    mean: float
    q10: float
    q50: float
    q90: float
    seats_not_up: dict[str, int]
    n_races: int
    seats_accounted: int  # races modelled + seats not up (100 when nothing is missing)
    vp_rule: str


VpParty = str | float | Callable[[pd.DataFrame], np.ndarray]


def senate_control(
    sims: pd.DataFrame,
    races: pd.DataFrame,
    seats_not_up: Mapping[str, int],
    vp_party: VpParty,
    seed: int = DEFAULT_SEED,
) -> SenateControl:
    """Seat distribution for the Democrats and P(Democratic control) with the VP tie-break.

    Democratic seats in a simulation = ``seats_not_up["DEM"]`` (Dem-caucusing independents included;
    see ``senate_seats.seats_not_up``) + the Senate races the Democrat wins in it. Control: 51+ seats,
    or 50 and the Vice President is a Democrat. ``vp_party``:

    * ``"DEM"`` / ``"REP"``: a fixed VP (a midterm: the sitting VP's party);
    * a callable ``f(wide_shares) -> array`` per simulation of True/False (VP is a Democrat) or of
      "DEM"/"REP", or NaN when unknown: a presidential year, where the VP comes from the ticket that
      wins the Electoral College in the same simulation (see :func:`vp_from_electoral_college`);
    * a float p: the VP is a Democrat with probability p, drawn per simulation with ``seed``,
      independently of the Senate races (when the presidential race is not in the same fit); NaN
      when it is unknown.

    A 50-50 simulation with an unknown VP (NaN, e.g. an Electoral College tie) counts as half.
    """
    sen = office_races(races, "senate")
    if sen.empty:
        raise ValueError("no Senate races")
    wide = wide_shares(sims)
    shares = wide[sen["race_id"].astype(str).tolist()].to_numpy(dtype=float)
    base = int(seats_not_up.get(DEM, 0))
    dem = base + (shares > 0.5).sum(axis=1)
    n = len(dem)
    if isinstance(vp_party, str):
        if vp_party not in (DEM, REP):
            raise ValueError(f"vp_party must be {DEM!r} or {REP!r}, not {vp_party!r}")
        vp_dem = np.full(n, 1.0 if vp_party == DEM else 0.0)
        rule = f"fixed {vp_party}"
    elif callable(vp_party):
        raw = np.asarray(vp_party(wide))
        if raw.dtype.kind in "OUS":
            vp_dem = np.array([1.0 if v == DEM else 0.0 if v == REP else np.nan for v in raw])
        else:
            vp_dem = raw.astype(float)
        if vp_dem.shape != (n,):
            raise ValueError(f"vp_party callable returned shape {vp_dem.shape}, expected ({n},)")
        rule = "per simulation"
    else:
        p = float(vp_party)
        if np.isnan(p):
            vp_dem = np.full(n, np.nan)
            rule = "unknown VP: a 50-50 Senate counts half"
        elif not 0 <= p <= 1:
            raise ValueError(f"vp_party probability {p} is not in [0, 1]")
        else:
            vp_dem = (np.random.default_rng(seed).random(n) < p).astype(float)
            rule = f"independent draw, P(Dem VP) = {p:.4f}"
    half = SENATE_SEATS // 2
    tie = dem == half
    control = (dem > half).astype(float) + tie * np.where(np.isnan(vp_dem), 0.5, vp_dem)
    counts = pd.Series(dem).value_counts(normalize=True).sort_index()
    q10, q50, q90 = np.quantile(dem, (0.1, 0.5, 0.9))
    return SenateControl(
        dem_seats=pd.Series(dem, index=wide.index, name="dem_seats"),
        seat_distribution=pd.DataFrame(
            {"dem_seats": counts.index.astype(int), "probability": counts.to_numpy()}
        ),
        p_dem_control=float(control.mean()),
        p_tie_50_50=float(tie.mean()),
        mean=float(dem.mean()),
        q10=float(q10),
        q50=float(q50),
        q90=float(q90),
        seats_not_up={k: int(v) for k, v in seats_not_up.items()},
        n_races=len(sen),
        seats_accounted=len(sen) + int(sum(seats_not_up.values())),
        vp_rule=rule,
    )


def vp_from_electoral_college(
    races: pd.DataFrame, cycle: int | None = None, total_ev: int = TOTAL_EV
) -> Callable[[pd.DataFrame], np.ndarray]:
    """A ``vp_party`` callable: per simulation, 1.0 when the Democratic ticket wins the Electoral
    College, 0.0 when the Republican one does, NaN on a 269-269 tie (the VP is then chosen by the new
    Senate)."""
    alloc, _ = ev_allocation(races, cycle)

    def vp(wide: pd.DataFrame) -> np.ndarray:
        shares = wide[alloc["race_id"].tolist()].to_numpy(dtype=float)
        dem_ev = (shares > 0.5).astype(np.int64) @ alloc["ev"].to_numpy()
        out = np.where(dem_ev * 2 > total_ev, 1.0, 0.0)
        out[dem_ev * 2 == total_ev] = np.nan
        return out

    return vp


# Party of the presidential ticket that won the Electoral College (public record; checked against the
# certified state results in tests/integration/test_simulation_outputs.py). Its VP sits from January
# after the election, so it breaks Senate ties in the next midterm.
EC_WINNER: dict[int, str] = {
    1976: DEM,
    1980: REP,
    1984: REP,
    1988: REP,
    1992: DEM,
    1996: DEM,
    2000: REP,
    2004: REP,
    2008: DEM,
    2012: DEM,
    2016: REP,
    2020: DEM,
    2024: REP,
}


def sitting_vp_party(cycle: int) -> str:
    """The party of the Vice President during a midterm ``cycle`` (elected two years before)."""
    prev = cycle - cycle % 4
    if prev not in EC_WINNER:
        raise KeyError(f"no Electoral College winner recorded for {prev}")
    return EC_WINNER[prev]


# ---------------------------------------------------------------------------------------------------
# conditional questions

Event = np.ndarray | pd.Series | Callable[[pd.DataFrame], np.ndarray]


def race_win(race_id: str, party: str = DEM) -> Callable[[pd.DataFrame], np.ndarray]:
    """An event: ``party`` wins ``race_id`` (Democrat when the Democratic share is above 0.5)."""

    def ev(wide: pd.DataFrame) -> np.ndarray:
        dem = wide[str(race_id)].to_numpy(dtype=float) > 0.5
        return dem if party == DEM else ~dem

    return ev


def ec_win(
    races: pd.DataFrame, party: str = DEM, cycle: int | None = None, total_ev: int = TOTAL_EV
) -> Callable[[pd.DataFrame], np.ndarray]:
    """An event: ``party`` wins the Electoral College (a majority of ``total_ev``)."""
    alloc, _ = ev_allocation(races, cycle)

    def ev(wide: pd.DataFrame) -> np.ndarray:
        shares = wide[alloc["race_id"].tolist()].to_numpy(dtype=float)
        dem_ev = (shares > 0.5).astype(np.int64) @ alloc["ev"].to_numpy()
        won = dem_ev if party == DEM else alloc["ev"].sum() - dem_ev
        return won >= total_ev // 2 + 1

    return ev


def _event(sims_wide: pd.DataFrame, e: Event) -> np.ndarray:
    out = np.asarray(e(sims_wide) if callable(e) else e, dtype=bool)
    if out.shape != (len(sims_wide),):
        raise ValueError(f"event has shape {out.shape}, expected ({len(sims_wide)},)")
    return out


def conditional_probability(sims: pd.DataFrame, event: Event, given: Event | None = None) -> float:
    """P(event | given) over the joint simulations, e.g.
    ``conditional_probability(sims, ec_win(races), race_win("2020-president-PA", "REP"))``.

    ``event`` / ``given``: a boolean array per simulation (in ``sim`` order) or a callable taking the
    (sim x race_id) share frame. Raises ValueError when no simulation satisfies ``given``.
    """
    wide = wide_shares(sims)
    e = _event(wide, event)
    g = np.ones(len(wide), dtype=bool) if given is None else _event(wide, given)
    if not g.any():
        raise ValueError("no simulation satisfies the condition")
    return float(e[g].mean())


# ---------------------------------------------------------------------------------------------------
# per race


def poll_weight(
    sims_or_draws: pd.DataFrame, prior_variance: Mapping[str, float] | pd.Series | None
) -> pd.Series:
    """Per race, 1 - var(posterior Election-Day share) / var(prior Election-Day share): the share of
    the prior's Election-Day variance that the polls removed. 0 = the polls taught the model nothing
    about the race, near 1 = the polls pin it down; negative when the posterior is wider than the
    prior (the polls contradict it). NaN where the prior variance is not given (or not positive).

    ``sims_or_draws``: the simulations (long or wide) or the posterior draws as a wide frame. With
    balanced resampling the variance over simulations equals the posterior variance up to the
    resampled remainder.
    """
    wide = wide_shares(sims_or_draws)
    post = wide.var(axis=0, ddof=1)
    if prior_variance is None:
        return pd.Series(np.nan, index=post.index, name="poll_weight")
    prior = pd.Series(prior_variance, dtype=float).reindex(post.index)
    prior = prior.where(prior > 0)
    return (1.0 - post / prior).rename("poll_weight")


# ---------------------------------------------------------------------------------------------------
# everything for one fit


@dataclass
class ForecastOutputs:
    sims: pd.DataFrame  # long: sim, draw, race_id, dem_share, dem_win
    n_posterior_draws: int
    president: ElectoralVotes | None = None
    tipping: pd.DataFrame | None = None  # race_id, label, probability
    senate: SenateControl | None = None
    poll_weight: pd.Series | None = None  # by race_id; NaN where the prior variance is unknown
    offices: list[str] = field(default_factory=list)

    @property
    def n_sims(self) -> int:
        return int(self.sims["sim"].nunique())

    def topline(self) -> pd.DataFrame:
        """office, metric, value: the office-level numbers stored in forecast.topline."""
        rows: list[tuple[str, str, float]] = []
        for office in self.offices:
            rows += [(office, "n_sims", self.n_sims), (office, "n_posterior_draws", self.n_posterior_draws)]
        if self.president is not None:
            e = self.president
            rows += [
                ("president", k, v)
                for k, v in {
                    "p_dem_win_ec": e.p_dem_win,
                    "p_tie_ec": e.p_tie,
                    "ev_mean": e.mean,
                    "ev_q10": e.q10,
                    "ev_q50": e.q50,
                    "ev_q90": e.q90,
                    "ev_total_modelled": e.total_ev,
                }.items()
            ]
            rows += [("president", f"ev_district_fallback_{s}", 1.0) for s in e.district_fallback]
        if self.senate is not None:
            s = self.senate
            rows += [
                ("senate", k, v)
                for k, v in {
                    "p_dem_control": s.p_dem_control,
                    "p_tie_50_50": s.p_tie_50_50,
                    "dem_seats_mean": s.mean,
                    "dem_seats_q10": s.q10,
                    "dem_seats_q50": s.q50,
                    "dem_seats_q90": s.q90,
                    "seats_not_up_dem": s.seats_not_up.get(DEM, 0),
                    "seats_not_up_rep": s.seats_not_up.get(REP, 0),
                    "seats_accounted": s.seats_accounted,
                }.items()
            ]
        return pd.DataFrame(rows, columns=["office", "metric", "value"]).astype({"value": float})

    def document(self) -> dict:
        """The JSON keys ``electoral_votes``, ``tipping_point``, ``senate`` (None when the fit has no
        race of that office); the caller adds ``simulations``."""
        doc: dict = {"electoral_votes": None, "tipping_point": None, "senate": None}
        if self.president is not None:
            e = self.president
            doc["electoral_votes"] = {
                "distribution": [
                    {"ev": int(r.ev), "probability": float(r.probability)}
                    for r in e.distribution.itertuples()
                ],
                "p_dem_win": e.p_dem_win,
                "mean": e.mean,
                "q10": e.q10,
                "q50": e.q50,
                "q90": e.q90,
                "tie": e.p_tie,
                "total_ev": e.total_ev,
                "majority": e.majority,
                "district_fallback": e.district_fallback,
                "missing_states": e.missing_states,
            }
            doc["tipping_point"] = {str(r.label): float(r.probability) for r in self.tipping.itertuples()}
        if self.senate is not None:
            s = self.senate
            doc["senate"] = {
                "seat_distribution": [
                    {"dem_seats": int(r.dem_seats), "probability": float(r.probability)}
                    for r in s.seat_distribution.itertuples()
                ],
                "p_dem_control": s.p_dem_control,
                "p_tie_50_50": s.p_tie_50_50,
                "mean": s.mean,
                "q10": s.q10,
                "q50": s.q50,
                "q90": s.q90,
                "seats_not_up": s.seats_not_up,
                "n_races": s.n_races,
                "seats_accounted": s.seats_accounted,
                "vp_rule": s.vp_rule,
            }
        return doc


def forecast_outputs(
    idata_or_draws,
    races: pd.DataFrame,
    n_sims: int = DEFAULT_N_SIMS,
    seed: int = DEFAULT_SEED,
    seats_not_up: Mapping[str, int] | None = None,
    vp_party: VpParty | None = None,
    prior_variance: Mapping[str, float] | pd.Series | None = None,
) -> ForecastOutputs:
    """Joint simulations of every race in the fit and, per office present: the Electoral College and
    tipping points (president), seats and control (senate; needs ``seats_not_up``; ``vp_party``
    defaults to the Electoral College winner of the same simulation when the fit has presidential
    races), and every race's poll weight."""
    arr, _ = _draw_matrix(idata_or_draws, None)
    ids = races["race_id"].astype(str).tolist()
    sims = joint_simulations(idata_or_draws, ids, n_sims, seed)
    offices = sorted({*(races["office"] if "office" in races.columns else races["race_id"].map(office_of))})
    out = ForecastOutputs(sims=sims, n_posterior_draws=int(arr.shape[0]), offices=offices)
    wide = wide_shares(sims)
    if "president" in offices:
        out.president = electoral_votes(wide, races)
        out.tipping = tipping_point(wide, races)
    if "senate" in offices:
        if seats_not_up is None:
            raise ValueError("Senate races need seats_not_up (forecast_pipeline.senate_seats.seats_not_up)")
        if vp_party is None:
            if "president" not in offices:
                raise ValueError("Senate races without presidential races in the fit need vp_party")
            vp_party = vp_from_electoral_college(races)
        out.senate = senate_control(wide, races, seats_not_up, vp_party, seed=seed)
    out.poll_weight = poll_weight(wide, prior_variance).reindex(ids)
    return out
