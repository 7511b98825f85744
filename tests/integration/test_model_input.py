"""The Dagster path (visible polls -> pandera VisiblePolls -> model input) gives the model the same
polls, with the same fields, as the direct path the backtests use."""

from datetime import date

import pandas as pd

from forecast_pipeline.model_input import build_model_input, visible_polls
from forecast_pipeline.schemas.model_polls import VisiblePolls

AS_OF = date(2020, 11, 2)


def test_validated_polls_keep_the_fields_the_model_reads(loaded, engine):
    polls = visible_polls(engine, 2020, "president", AS_OF)
    validated = VisiblePolls.validate(polls, lazy=True)
    # mode and partisan sponsor feed the model's mode and sponsor effects; strict="filter" used to
    # drop them on the Dagster path only
    assert validated["mode"].notna().sum() == polls["mode"].notna().sum() > 1000
    assert validated["partisan"].notna().sum() == polls["partisan"].notna().sum() > 50
    direct = build_model_input(engine, 2020, "president", AS_OF, with_structure=False).polls
    dagster = build_model_input(engine, 2020, "president", AS_OF, polls=validated, with_structure=False).polls
    assert len(direct) > 3000
    pd.testing.assert_frame_equal(
        direct.astype({"mode": object, "partisan": object}).fillna(pd.NA),
        dagster.astype({"mode": object, "partisan": object}).fillna(pd.NA),
        check_dtype=False,
    )
