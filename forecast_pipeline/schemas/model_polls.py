"""The polls a model may consume: one row per poll, both major-party shares present."""

from __future__ import annotations

from typing import Optional

import pandera.pandas as pa
from pandera.typing import Series

from forecast_pipeline.races import POPULATIONS


class VisiblePolls(pa.DataFrameModel):
    poll_id: Series[str] = pa.Field(unique=True)
    race_id: Series[str] = pa.Field(nullable=True)
    state: Series[str]
    pollster: Series[str] = pa.Field(str_length={"min_value": 1})
    population: Series[str] = pa.Field(isin=[*POPULATIONS, "unknown"])
    end_date: Series[pa.DateTime]
    sample_size: Series[float] = pa.Field(nullable=True, gt=0)
    dem_pct: Series[float] = pa.Field(ge=0, le=100)
    rep_pct: Series[float] = pa.Field(ge=0, le=100)
    # Optional, but kept when present: the model reads them (mode and partisan-sponsor effects), and
    # strict="filter" would otherwise drop them on the Dagster path only.
    mode: Optional[Series[str]] = pa.Field(nullable=True)  # noqa: UP045 - pandera reads Optional
    partisan: Optional[Series[str]] = pa.Field(nullable=True)  # noqa: UP045
    # sponsor and start date: with PriorConfig.thin_overlapping_releases the model keeps one of a
    # tracking series' overlapping releases
    sponsor: Optional[Series[str]] = pa.Field(nullable=True)  # noqa: UP045
    start_date: Optional[Series[pa.DateTime]] = pa.Field(nullable=True)  # noqa: UP045

    @pa.dataframe_check(error="dem_pct + rep_pct exceeds 100.5")
    def shares_fit(cls, df):  # noqa: N805 - pandera passes the class
        return df["dem_pct"] + df["rep_pct"] <= 100.5

    class Config:
        coerce = True
        strict = "filter"
