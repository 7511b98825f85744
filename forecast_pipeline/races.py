"""Canonical codes shared by every loader: offices, states, race keys.

A race key is a plain string so that it can travel through SQL, JSON and xarray coords unchanged:
``{cycle}-{office}-{state}`` plus ``-{district}`` for House districts and the Maine/Nebraska
presidential congressional districts, plus ``-c{class}`` for Senate seats (Class I/II/III), so that a
regular and a special Senate election in the same state and year stay distinct. National races
(presidential popular vote, generic ballot) use the pseudo-state ``US``.
"""

from __future__ import annotations

OFFICES = ("president", "senate", "governor", "house", "generic")
POPULATIONS = ("lv", "rv", "a", "v")

STATES: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
}
USPS = frozenset(STATES.values())
NATIONAL = "US"

_SENATE_CLASS = {"Class I": 1, "Class II": 2, "Class III": 3, "1": 1, "2": 2, "3": 3}


def senate_class(value: object) -> int | None:
    """538 writes 'Class II'; return 2, or None when unknown."""
    if value is None:
        return None
    return _SENATE_CLASS.get(str(value).strip())


def race_key(
    cycle: int,
    office: str,
    state: str,
    district: int | None = None,
    senate_class: int | None = None,
) -> str:
    if office not in OFFICES:
        raise ValueError(f"unknown office {office!r}; expected one of {OFFICES}")
    key = f"{int(cycle)}-{office}-{state}"
    if district is not None:
        key += f"-{int(district)}"
    if senate_class is not None:
        key += f"-c{int(senate_class)}"
    return key


def election_day(cycle: int):
    """US general election: the Tuesday after the first Monday in November."""
    from datetime import date, timedelta

    nov1 = date(int(cycle), 11, 1)
    first_monday = nov1 + timedelta(days=(0 - nov1.weekday()) % 7)
    return first_monday + timedelta(days=1)


# Electoral votes by apportionment (census) period; DC has 3 throughout. Source: US National Archives.
_EV_2004 = {  # 2004 and 2008 (2000 census)
    "AL": 9,
    "AK": 3,
    "AZ": 10,
    "AR": 6,
    "CA": 55,
    "CO": 9,
    "CT": 7,
    "DE": 3,
    "DC": 3,
    "FL": 27,
    "GA": 15,
    "HI": 4,
    "ID": 4,
    "IL": 21,
    "IN": 11,
    "IA": 7,
    "KS": 6,
    "KY": 8,
    "LA": 9,
    "ME": 4,
    "MD": 10,
    "MA": 12,
    "MI": 17,
    "MN": 10,
    "MS": 6,
    "MO": 11,
    "MT": 3,
    "NE": 5,
    "NV": 5,
    "NH": 4,
    "NJ": 15,
    "NM": 5,
    "NY": 31,
    "NC": 15,
    "ND": 3,
    "OH": 20,
    "OK": 7,
    "OR": 7,
    "PA": 21,
    "RI": 4,
    "SC": 8,
    "SD": 3,
    "TN": 11,
    "TX": 34,
    "UT": 5,
    "VT": 3,
    "VA": 13,
    "WA": 11,
    "WV": 5,
    "WI": 10,
    "WY": 3,
}
_EV_2012 = {  # 2012, 2016 and 2020 (2010 census)
    "AL": 9,
    "AK": 3,
    "AZ": 11,
    "AR": 6,
    "CA": 55,
    "CO": 9,
    "CT": 7,
    "DE": 3,
    "DC": 3,
    "FL": 29,
    "GA": 16,
    "HI": 4,
    "ID": 4,
    "IL": 20,
    "IN": 11,
    "IA": 6,
    "KS": 6,
    "KY": 8,
    "LA": 8,
    "ME": 4,
    "MD": 10,
    "MA": 11,
    "MI": 16,
    "MN": 10,
    "MS": 6,
    "MO": 10,
    "MT": 3,
    "NE": 5,
    "NV": 6,
    "NH": 4,
    "NJ": 14,
    "NM": 5,
    "NY": 29,
    "NC": 15,
    "ND": 3,
    "OH": 18,
    "OK": 7,
    "OR": 7,
    "PA": 20,
    "RI": 4,
    "SC": 9,
    "SD": 3,
    "TN": 11,
    "TX": 38,
    "UT": 6,
    "VT": 3,
    "VA": 13,
    "WA": 12,
    "WV": 5,
    "WI": 10,
    "WY": 3,
}
_EV_2024 = {  # 2024 and 2028 (2020 census)
    **_EV_2012,
    "AZ": 11,
    "CA": 54,
    "CO": 10,
    "FL": 30,
    "IL": 19,
    "MI": 15,
    "MT": 4,
    "NY": 28,
    "NC": 16,
    "OH": 17,
    "OR": 8,
    "PA": 19,
    "TX": 40,
    "WV": 4,
}


def electoral_votes(cycle: int) -> dict[str, int]:
    if cycle >= 2024:
        return dict(_EV_2024)
    if cycle >= 2012:
        return dict(_EV_2012)
    return dict(_EV_2004)
