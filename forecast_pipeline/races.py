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
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN",
    "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO",
    "Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ",
    "New Mexico": "NM", "New York": "NY", "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH",
    "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
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
