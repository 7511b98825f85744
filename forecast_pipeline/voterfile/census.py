"""Census inputs of the synthetic voter file: the joint cell frames, the ACS state tables used to rake
them to later cycles, the county tables, and the certified turnout totals used for calibration.

Everything here reads the real files under the data directory; nothing is invented.

* Joint cells: The Upshot's post-stratification frames (`upshot-2004-2012-presidential-model/{2004,2012}/
  acs.csv`): 51 states x race_eth (4) x edu5 (5) x age4 (4) x sex (2) = 8,160 cells with a population
  count `Freq` (roughly citizen adults; 195M in 2004, 220M in 2012).
* Later cycles: the 2012 frame is raked (iterative proportional fitting) to two margins per state,
  sex x age4 and race_eth, each moved from 2012 by the growth the ACS 1-year state tables show between
  2012 and the target ACS year (B01001 for sex x age, B01001H/I/B for white non-Hispanic, Hispanic and
  Black adults; "Other" is the remainder). Using growth ratios keeps the frame's citizen-adult definition.
  Education within those margins keeps its 2012 conditional structure (stated limitation).
* Counties: county population by race from the ACS 5-year county table (`bpr-electionmodel2024/
  countyData.csv`): a voter of race r in state s lives in county c with probability pop[c, r] / pop[s, r].
* Turnout: certified presidential totals by state (`heidemanns-polling-errors-structure/
  potus_results_76_20.csv`, MEDSL-derived) and midterm House totals (`thisismactan-usa-2024/
  1976-2022-house.csv`, MEDSL).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

RACES = ["White", "Black", "Hispanic", "Other"]
EDUS = ["nohs", "hs", "somecol", "col", "postgrad"]
AGES = [1, 2, 3, 4]  # 18-29, 30-44, 45-64, 65+ (The Upshot's age4)
AGE_BANDS = {1: (18, 29), 2: (30, 44), 3: (45, 64), 4: (65, 89)}
SEXES = ["Male", "Female"]

STATES = {
    "AL": ("Alabama", 1),
    "AK": ("Alaska", 2),
    "AZ": ("Arizona", 4),
    "AR": ("Arkansas", 5),
    "CA": ("California", 6),
    "CO": ("Colorado", 8),
    "CT": ("Connecticut", 9),
    "DE": ("Delaware", 10),
    "DC": ("District of Columbia", 11),
    "FL": ("Florida", 12),
    "GA": ("Georgia", 13),
    "HI": ("Hawaii", 15),
    "ID": ("Idaho", 16),
    "IL": ("Illinois", 17),
    "IN": ("Indiana", 18),
    "IA": ("Iowa", 19),
    "KS": ("Kansas", 20),
    "KY": ("Kentucky", 21),
    "LA": ("Louisiana", 22),
    "ME": ("Maine", 23),
    "MD": ("Maryland", 24),
    "MA": ("Massachusetts", 25),
    "MI": ("Michigan", 26),
    "MN": ("Minnesota", 27),
    "MS": ("Mississippi", 28),
    "MO": ("Missouri", 29),
    "MT": ("Montana", 30),
    "NE": ("Nebraska", 31),
    "NV": ("Nevada", 32),
    "NH": ("New Hampshire", 33),
    "NJ": ("New Jersey", 34),
    "NM": ("New Mexico", 35),
    "NY": ("New York", 36),
    "NC": ("North Carolina", 37),
    "ND": ("North Dakota", 38),
    "OH": ("Ohio", 39),
    "OK": ("Oklahoma", 40),
    "OR": ("Oregon", 41),
    "PA": ("Pennsylvania", 42),
    "RI": ("Rhode Island", 44),
    "SC": ("South Carolina", 45),
    "SD": ("South Dakota", 46),
    "TN": ("Tennessee", 47),
    "TX": ("Texas", 48),
    "UT": ("Utah", 49),
    "VT": ("Vermont", 50),
    "VA": ("Virginia", 51),
    "WA": ("Washington", 53),
    "WV": ("West Virginia", 54),
    "WI": ("Wisconsin", 55),
    "WY": ("Wyoming", 56),
}
STATE_BY_FIPS = {fips: code for code, (_, fips) in STATES.items()}
STATE_BY_NAME = {name: code for code, (name, _) in STATES.items()}
ACS_YEARS = (2008, 2012, 2016, 2018)
FRAME_YEARS = (2004, 2012)
CELL_KEYS = ["state", "race_eth", "edu5", "age4", "sex"]


@dataclass(frozen=True)
class Frame:
    """Joint census cells for one cycle: CELL_KEYS + `pop` (people), with how it was made."""

    cycle: int
    cells: pd.DataFrame
    source: str


def _upshot_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "upshot-2004-2012-presidential-model"


@cache
def upshot_frame(data_dir: Path, year: int) -> pd.DataFrame:
    if year not in FRAME_YEARS:
        raise ValueError(f"The Upshot frames exist for {FRAME_YEARS}, not {year}")
    raw = pd.read_csv(_upshot_dir(data_dir) / str(year) / "acs.csv")
    cells = pd.DataFrame(
        {
            "state": raw["state"].map(STATE_BY_NAME),
            "race_eth": raw["race_eth"].astype(str),
            "edu5": raw["edu5"].astype(str),
            "age4": raw["age4"].astype(int),
            "sex": raw["sex"].astype(str),
            "pop": raw["Freq"].astype(float),
        }
    )
    if cells["state"].isna().any():
        raise ValueError(f"unknown state names in the {year} frame")
    cells = cells.sort_values(CELL_KEYS).reset_index(drop=True)
    if len(cells) != 51 * 4 * 5 * 4 * 2:
        raise ValueError(f"the {year} frame has {len(cells)} cells, expected 8160")
    return cells


def _acs_table(data_dir: Path, year: int, group: str) -> tuple[pd.DataFrame, dict[str, str]]:
    base = Path(data_dir) / "ncnw-acs1-state" / str(year)
    data = pd.read_csv(base / f"acs-acs1-{year}-GROUP_{group}_DATA.csv", dtype=str)
    legend = pd.read_csv(base / f"acs-acs1-{year}-GROUP_{group}_LEGEND.csv", dtype=str)
    labels = dict(zip(legend["VARIABLE"], legend["LABEL"], strict=True))
    # the yearly releases name the state by GEO_ID (0400000USff) or by a trailing FIPS `state` column
    # (2008, 2016)
    if "GEO_ID" in data.columns:
        fips = data["GEO_ID"].str[-2:]
    elif "state" in data.columns:
        fips = data["state"]
    else:
        raise ValueError(f"{base / f'acs-acs1-{year}-GROUP_{group}_DATA.csv'}: no GEO_ID or state column")
    data["state"] = pd.to_numeric(fips, errors="coerce").map(STATE_BY_FIPS)
    return data.dropna(subset=["state"]).set_index("state"), labels


def _age4_of_label(label: str) -> tuple[str, int] | None:
    """'Estimate!!Total!!Male!!25 to 29 years' -> ('Male', 1); None for children and totals."""
    parts = label.split("!!")
    if len(parts) != 4 or parts[0] != "Estimate":
        return None
    sex, band = parts[2], parts[3]
    low = int(band.split()[0]) if band[0].isdigit() else 0
    if low < 18:
        return None
    age4 = 1 if low < 30 else 2 if low < 45 else 3 if low < 65 else 4
    return sex, age4


@cache
def acs_adult_margins(data_dir: Path, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sex x age4 adults by state, race_eth adults by state) from the ACS 1-year state tables."""
    total, labels = _acs_table(data_dir, year, "B01001")
    rows = []
    for var, label in labels.items():
        key = _age4_of_label(label) if var.endswith("E") else None
        if key:
            rows.append((var, *key))
    sexage = []
    for state in total.index:
        for var, sex, age4 in rows:
            sexage.append((state, sex, age4, float(total.loc[state, var])))
    sexage = (
        pd.DataFrame(sexage, columns=["state", "sex", "age4", "pop"])
        .groupby(["state", "sex", "age4"], as_index=False)["pop"]
        .sum()
    )

    def adults(group: str) -> pd.Series:
        table, labs = _acs_table(data_dir, year, group)
        cols = [v for v, lab in labs.items() if v.endswith("E") and _age4_of_label(lab)]
        return table[cols].astype(float).sum(axis=1)

    all_adults = sexage.groupby("state")["pop"].sum()
    white, hisp, black = adults("B01001H"), adults("B01001I"), adults("B01001B")
    race = pd.DataFrame({"White": white, "Hispanic": hisp, "Black": black}).reindex(all_adults.index)
    race["Other"] = (all_adults - race.sum(axis=1)).clip(lower=0)
    race = race.reset_index().melt(id_vars="state", var_name="race_eth", value_name="pop")
    return sexage, race


def _acs_year_for(cycle: int) -> int:
    eligible = [y for y in ACS_YEARS if y <= cycle]
    return max(eligible) if eligible else min(ACS_YEARS)


def rake(
    cells: pd.DataFrame,
    margins: list[tuple[list[str], pd.DataFrame]],
    iterations: int = 50,
    tol: float = 1e-9,
) -> pd.DataFrame:
    """Iterative proportional fitting of `cells.pop` to each (keys, target frame with `pop`) margin."""
    out = cells.copy()
    for _ in range(iterations):
        worst = 0.0
        for keys, target in margins:
            current = out.groupby(keys)["pop"].transform("sum")
            want = out[keys].merge(target.rename(columns={"pop": "_t"}), on=keys, how="left")["_t"].to_numpy()
            ratio = np.where(current.to_numpy() > 0, want / np.maximum(current.to_numpy(), 1e-12), 1.0)
            worst = max(worst, float(np.nanmax(np.abs(ratio - 1.0))))
            out["pop"] = out["pop"].to_numpy() * ratio
        if worst < tol:
            break
    return out


def census_frame(data_dir: Path, cycle: int) -> Frame:
    """The joint cells for an election cycle: a real Upshot frame, or the 2012 frame raked to the ACS."""
    data_dir = Path(data_dir)
    if cycle in FRAME_YEARS:
        return Frame(cycle, upshot_frame(data_dir, cycle).copy(), f"upshot {cycle} acs.csv")
    base = upshot_frame(data_dir, 2012)
    year = _acs_year_for(cycle)
    sa12, race12 = acs_adult_margins(data_dir, 2012)
    sa_y, race_y = acs_adult_margins(data_dir, year)
    frame_sa = base.groupby(["state", "sex", "age4"], as_index=False)["pop"].sum()
    frame_race = base.groupby(["state", "race_eth"], as_index=False)["pop"].sum()

    def grown(frame_m, acs_base, acs_target, keys):
        m = frame_m.merge(acs_base.rename(columns={"pop": "b"}), on=keys).merge(
            acs_target.rename(columns={"pop": "t"}), on=keys
        )
        m["pop"] = m["pop"] * np.where(m["b"] > 0, m["t"] / m["b"].where(m["b"] > 0, 1), 1.0)
        return m[[*keys, "pop"]]

    t_sa = grown(frame_sa, sa12, sa_y, ["state", "sex", "age4"])
    t_race = grown(frame_race, race12, race_y, ["state", "race_eth"])
    # The two margins must agree on each state's total; scale race to the sex x age total.
    tot_sa = t_sa.groupby("state")["pop"].sum()
    t_race["pop"] = t_race["pop"] * t_race["state"].map(tot_sa / t_race.groupby("state")["pop"].sum())
    raked = rake(base, [(["state", "sex", "age4"], t_sa), (["state", "race_eth"], t_race)])
    return Frame(
        cycle, raked, f"upshot 2012 acs.csv raked to ACS {year} (B01001, B01001H/I/B growth from 2012)"
    )


@cache
def county_shares(data_dir: Path) -> pd.DataFrame:
    """P(county | state, race_eth) from ACS 5-year county population by race.

    Columns: state, race_eth, county_fips (5 chars), county_desc, share (sums to 1 per state x race).
    """
    raw = pd.read_csv(Path(data_dir) / "bpr-electionmodel2024" / "countyData.csv")
    fips = raw["GEOID"].astype(int)
    frame = pd.DataFrame(
        {
            "state": (fips // 1000).map(STATE_BY_FIPS),
            "county_fips": fips.map(lambda f: f"{f:05d}"),
            "county_desc": raw["NAME"]
            .str.split(",")
            .str[0]
            .str.replace(
                r" (County|Parish|Borough|Census Area|City and Borough|Municipality)$", "", regex=True
            ),
            "White": raw["total_population_white_aloneE"].astype(float),
            "Black": raw["total_population_black_aloneE"].astype(float),
            "Hispanic": raw["total_population_hispanicOrLatinoE"].astype(float),
            "total": raw["total_population_raceE"].astype(float),
        }
    ).dropna(subset=["state"])
    # "white alone" includes white Hispanics; take them out so the four groups do not overlap much.
    frame["White"] = (frame["White"] - 0.5 * frame["Hispanic"]).clip(lower=0)
    frame["Other"] = (frame["total"] - frame[["White", "Black", "Hispanic"]].sum(axis=1)).clip(lower=0)
    long = frame.melt(
        id_vars=["state", "county_fips", "county_desc"],
        value_vars=RACES,
        var_name="race_eth",
        value_name="pop",
    )
    # A small floor so every county can receive any group (ACS zeros are sampling zeros).
    long["pop"] = long["pop"] + 1.0
    long["share"] = long["pop"] / long.groupby(["state", "race_eth"])["pop"].transform("sum")
    return long.sort_values(["state", "race_eth", "county_fips"]).reset_index(drop=True)


@cache
def presidential_results(data_dir: Path) -> pd.DataFrame:
    """state, year, totalvotes, dem_two_party (certified; MEDSL via Heidemanns)."""
    raw = pd.read_csv(Path(data_dir) / "heidemanns-polling-errors-structure" / "potus_results_76_20.csv")
    out = pd.DataFrame(
        {
            "year": raw["year"].astype(int),
            "state": raw["state_po"].astype(str),
            "totalvotes": raw["totalvotes"].astype(float),
            "dem_two_party": raw["dem"] / (raw["dem"] + raw["rep"]),
        }
    )
    return out[out["state"].isin(STATES)].reset_index(drop=True)


@cache
def midterm_house_totals(data_dir: Path) -> pd.DataFrame:
    """state, year, totalvotes: House general-election votes summed over districts (MEDSL)."""
    raw = pd.read_csv(
        Path(data_dir) / "thisismactan-usa-2024" / "1976-2022-house.csv",
        usecols=["year", "state_po", "district", "stage", "special", "totalvotes"],
    )
    raw = raw[(raw["stage"] == "GEN") & (~raw["special"].astype(bool))]
    per_district = raw.groupby(["year", "state_po", "district"], as_index=False)["totalvotes"].max()
    out = per_district.groupby(["year", "state_po"], as_index=False)["totalvotes"].sum()
    return out.rename(columns={"state_po": "state"})


def turnout_total(data_dir: Path, state: str, year: int) -> float | None:
    """Certified votes cast in `state` at the general election of `year` (president, else House)."""
    if year % 4 == 0:
        res = presidential_results(data_dir)
        row = res[(res["year"] == year) & (res["state"] == state)]
    else:
        res = midterm_house_totals(data_dir)
        row = res[(res["year"] == year) & (res["state"] == state)]
    return float(row["totalvotes"].iloc[0]) if len(row) else None
