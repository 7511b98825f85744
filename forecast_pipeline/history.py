"""Pre-cycle history the model's prior is built from: past presidential results by state, the
Time-for-Change inputs, state covariates. Everything here is filtered to years strictly before the
cycle being forecast, so a backtest of cycle C never sees C's results (tested).

Sources (``../shared/data/raw``, see its SOURCES.md): the Economist repo's ``potus_results_76_16.csv``
(state presidential results 1976-2016), ``abramowitz_data.csv`` (1948-2016 TfC inputs),
``ANES_swing_voters.csv`` (ANES share of swing voters, 1952-2016) and ``state_region_crosswalk.csv``
(BEA regions); ACS 1-year B03002 (race/ethnicity) tables for 2008, 2012,
2016 and 2018; presidential results after 2016 come from ``core.results`` (538's certified results).
The inputs of cycles after 2016 that no shared file has (June approval, Q2 GDP) are in the
user-maintained ``fundamentals.csv`` next to this module.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.races import STATES

ECONOMIST_DIR = "economist-us-potus-model"
ACS_DIR = "ncnw-acs1-state"
ACS_YEARS = (2008, 2012, 2016, 2018)
USER_FUNDAMENTALS = Path(__file__).with_name("fundamentals.csv")

# Party of the sitting president on Election Day of each even year (public record; known before
# every election it is used for).
_PRESIDENT_PARTY_FROM = (
    (1977, "D"),
    (1981, "R"),
    (1993, "D"),
    (2001, "R"),
    (2009, "D"),
    (2017, "R"),
    (2021, "D"),
    (2025, "R"),
)


def president_party(cycle: int) -> str:
    party = "R"
    for year, p in _PRESIDENT_PARTY_FROM:
        if cycle >= year:
            party = p
    return party


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


@lru_cache(maxsize=4)
def _potus_file(data_dir: str) -> pd.DataFrame:
    path = Path(data_dir) / ECONOMIST_DIR / "potus_results_76_16.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: needed for the presidential history (run `forecast-pipeline data fetch`)"
        )
    df = pd.read_csv(path)
    df = df.rename(columns={"year": "cycle"})
    df["dem_two_party"] = df["dem"] / (df["dem"] + df["rep"])
    df["two_party_votes"] = df["total_votes"] * (df["dem"] + df["rep"])
    return df[["cycle", "state", "dem_two_party", "two_party_votes"]]


def presidential_history(
    data_dir: str | Path, before_cycle: int, later_results: pd.DataFrame | None = None
) -> pd.DataFrame:
    """cycle, state, dem_two_party, two_party_votes for every presidential election before
    ``before_cycle``. ``later_results`` (same columns) supplies cycles after 2016 from the database."""
    df = _potus_file(str(Path(data_dir).resolve()))
    if later_results is not None and len(later_results):
        df = pd.concat([df, later_results[later_results["cycle"] > 2016][df.columns]], ignore_index=True)
    return df[df["cycle"] < before_cycle].sort_values(["cycle", "state"]).reset_index(drop=True)


def national_share(hist: pd.DataFrame) -> pd.Series:
    """Dem two-party share of the national vote by cycle (vote-weighted over states)."""
    g = hist.assign(d=hist["dem_two_party"] * hist["two_party_votes"]).groupby("cycle")
    return g["d"].sum() / g["two_party_votes"].sum()


def state_leans(hist: pd.DataFrame) -> pd.DataFrame:
    """cycle x state table of logit(state share) - logit(national share)."""
    nat = national_share(hist)
    t = hist.pivot(index="cycle", columns="state", values="dem_two_party")
    return pd.DataFrame(
        _logit(t.to_numpy()) - _logit(nat.reindex(t.index).to_numpy())[:, None],
        index=t.index,
        columns=t.columns,
    )


@lru_cache(maxsize=4)
def abramowitz(data_dir: str) -> pd.DataFrame:
    """year, inc_party, incvote (incumbent party's two-party share, %), juneapp (net June approval),
    q2gdp (annualised Q2 real GDP growth), term1 (1 if the incumbent party has held the White House
    one term). 1948-2016 from the shared file, later years from the user-maintained table."""
    path = Path(data_dir) / ECONOMIST_DIR / "abramowitz_data.csv"
    df = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "year": df["year"].astype(int),
            "inc_party": np.where(df["deminc"] == 1, "D", "R"),
            "incvote": df["incvote"].astype(float),
            "juneapp": df["juneapp"].astype(float),
            "q2gdp": df["q2gdp"].astype(float),
            "term1": df["term1"].astype(int),
        }
    )
    user = pd.read_csv(USER_FUNDAMENTALS, comment="#")
    user = user[~user["year"].isin(out["year"])]
    return pd.concat([out, user[[c for c in out.columns if c in user.columns]]], ignore_index=True)


def anes_swing_voters(data_dir: str) -> pd.Series:
    """ANES share of swing voters by election year (1952-2016), the Economist's polarization measure."""
    df = pd.read_csv(Path(data_dir) / ECONOMIST_DIR / "ANES_swing_voters.csv")
    return df.set_index(df["year"].astype(int))["ANES_share_swing_voters"].astype(float).sort_index()


def swing_share_before(swing: pd.Series, year: int) -> tuple[int, float]:
    """(survey year, share) of the latest ANES survey strictly before ``year``: the one a forecast of
    ``year`` can know. Years before the first survey (1948) take the first one (1952)."""
    earlier = swing[swing.index < year]
    src = earlier if len(earlier) else swing.iloc[:1]
    return int(src.index[-1]), float(src.iloc[-1])


@lru_cache(maxsize=4)
def regions(data_dir: str) -> pd.Series:
    """USPS -> BEA region name (the shared file has old-Mac CR line endings; pandas reads them)."""
    df = pd.read_csv(Path(data_dir) / ECONOMIST_DIR / "state_region_crosswalk.csv")
    return df.set_index("state_abb")["bea_region"].sort_index()


@lru_cache(maxsize=8)
def acs_race_shares(data_dir: str, year: int) -> pd.DataFrame:
    """USPS-indexed white non-Hispanic, Black, Hispanic and Asian shares from ACS 1-year B03002."""
    folder = Path(data_dir) / ACS_DIR / str(year)
    path = next(folder.glob("*GROUP_B03002_DATA.csv"))
    df = pd.read_csv(path, low_memory=False)
    # the yearly files name the state differently: NAME (full name), GEO_ID (0400000USff) or state (FIPS)
    if "NAME" in df.columns:
        usps = df["NAME"].map(STATES)
    else:
        xwalk = pd.read_csv(Path(data_dir) / ECONOMIST_DIR / "state_region_crosswalk.csv")
        by_fips = dict(zip(xwalk["state_fips"].astype(int), xwalk["state_abb"], strict=True))
        fips = df["GEO_ID"].astype(str).str[-2:] if "GEO_ID" in df.columns else df["state"]
        usps = pd.to_numeric(fips, errors="coerce").map(by_fips)
    df = df[usps.notna()].copy()
    df["_usps"] = usps[usps.notna()]
    total = pd.to_numeric(df["B03002_001E"])
    out = pd.DataFrame(
        {
            "white": pd.to_numeric(df["B03002_003E"]) / total,
            "black": pd.to_numeric(df["B03002_004E"]) / total,
            "asian": pd.to_numeric(df["B03002_006E"]) / total,
            "hispanic": pd.to_numeric(df["B03002_012E"]) / total,
        }
    )
    out.index = df["_usps"].to_numpy()
    return out.sort_index()


def latest_acs_year(cycle: int) -> int | None:
    """The newest ACS 1-year release published before the cycle's election (ACS year y is released
    in September of y+1)."""
    usable = [y for y in ACS_YEARS if y + 1 <= cycle]
    return max(usable) if usable else None
