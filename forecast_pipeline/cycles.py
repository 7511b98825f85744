"""Which election a date belongs to, and which offices have races to forecast in it.

A forecast made on date D is for the next general election on or after D: the cycle is the first even
year whose Election Day is on or after D. So 2020-11-03 (Election Day) belongs to 2020, and
2020-11-04 already to 2022.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from forecast_pipeline.races import election_day

FORECAST_OFFICES = ("president", "senate", "governor")


def cycle_for(as_of: date) -> int:
    year = as_of.year + (as_of.year % 2)
    if as_of > election_day(year):
        year += 2
    return year


def offices_with_races(engine: sa.Engine, cycle: int, offices=FORECAST_OFFICES) -> list[str]:
    """The offices that have a state-level race to forecast in ``cycle``.

    President: every fourth year, when the previous presidential results (the model's prior) are in the
    database; its races are the states, known before any poll. Senate and governor: when core.races
    holds a state-level race of that cycle (from a poll or a result).
    """
    out = []
    with engine.connect() as conn:
        for office in offices:
            if office == "president":
                if cycle % 4:
                    continue
                has = conn.execute(
                    sa.text(
                        "SELECT EXISTS (SELECT 1 FROM core.races r JOIN core.results x USING (race_id) "
                        "WHERE r.cycle = :c AND r.office = 'president' AND r.state <> 'US')"
                    ),
                    {"c": cycle - 4},
                ).scalar()
            else:
                has = conn.execute(
                    sa.text(
                        "SELECT EXISTS (SELECT 1 FROM core.races WHERE cycle = :c AND office = :o "
                        "AND district IS NULL AND state <> 'US')"
                    ),
                    {"c": cycle, "o": office},
                ).scalar()
            if has:
                out.append(office)
    return out
