"""Partitions of the forecast path: as-of date (daily) x office.

One fit covers every race of an office (the model pools across races), so the partition is the
(as-of, office) pair, not the race. The daily dimension starts in 2008, the first cycle with polls from
across the campaign, and runs through today (``end_offset=1``), so that the nightly run can materialize
today's partition. 3 offices x ~7,000 days stays under the ~25k partitions where the UI slows down.
"""

from dataclasses import dataclass
from datetime import date

import dagster as dg

from forecast_pipeline.cycles import FORECAST_OFFICES, cycle_for

FORECAST_START = "2008-01-01"

FORECAST_PARTITIONS = dg.MultiPartitionsDefinition(
    {
        "as_of": dg.DailyPartitionsDefinition(start_date=FORECAST_START, end_offset=1, timezone="UTC"),
        "office": dg.StaticPartitionsDefinition(list(FORECAST_OFFICES)),
    }
)


@dataclass(frozen=True)
class Forecast:
    """The identity of one forecast: which election, which office, as it stood on which day."""

    cycle: int
    office: str
    as_of: date

    @property
    def label(self) -> str:
        return f"{self.cycle}-{self.office}-{self.as_of.isoformat()}"


def partition_key(as_of: date, office: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"as_of": as_of.isoformat(), "office": office})


def parse_partition_key(key) -> tuple[date, str]:
    """(as_of, office) from a MultiPartitionKey or its string form ('2020-11-02|president')."""
    by_dim = getattr(key, "keys_by_dimension", None)
    if by_dim is None:
        as_of, office = str(key).split("|")  # dimensions are ordered by name: as_of, office
        by_dim = {"as_of": as_of, "office": office}
    return date.fromisoformat(by_dim["as_of"]), by_dim["office"]


def forecast_from_partition(key) -> Forecast:
    as_of, office = parse_partition_key(key)
    return Forecast(cycle_for(as_of), office, as_of)


def forecast_for(context, target) -> Forecast:
    """The forecast an asset run is for: its partition in the code location, else the target resource
    (the in-process `forecast-pipeline run` path, which is not partitioned)."""
    if context.has_partition_key:
        return forecast_from_partition(context.partition_key)
    return Forecast(target.cycle, target.office, target.as_of_date())
