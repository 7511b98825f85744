"""A forecast partition with nothing to forecast (today's, in the test data) is skipped with its reason,
in process and through `forecast-pipeline run`; a missing input that should exist is still an error."""

from datetime import date

import dagster as dg
import pytest

TODAY = date(2026, 11, 27)  # the current cycle is 2028: no polls, no Senate race, no 2028 fundamentals


def _materialize(tmp_path, partition: str):
    from assets.definitions import default_resources
    from assets.forecast import FORECAST_ASSETS, FORECAST_CHECKS

    return dg.materialize(
        [*FORECAST_ASSETS, *FORECAST_CHECKS],
        resources=default_resources(str(tmp_path)),
        partition_key=partition,
        raise_on_error=False,
    )


def _skipped(result) -> list[str]:
    return [
        e.event_specific_data.asset_observation.metadata["skipped"].value
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    ]


@pytest.mark.parametrize(
    ("partition", "reason"),
    [
        (f"{TODAY}|senate", "no senate race of the 2028 cycle is in the database yet"),
        (f"{TODAY}|governor", "no governor race of the 2028 cycle is in the database yet"),
        (f"{TODAY}|president", "the 2028 presidential prior needs the Time-for-Change inputs of 2028"),
        ("2026-06-01|president", "2026 is not a presidential election year"),
    ],
)
def test_partition_with_nothing_to_forecast_is_skipped_with_its_reason(
    engine, loaded, tmp_path, database_url, monkeypatch, partition, reason
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = _materialize(tmp_path, partition)
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"core/validated_polls"}  # nothing fitted, nothing published
    (why,) = _skipped(result)
    assert why.startswith(reason)
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "model__posterior" not in steps and "forecast__race_forecasts" not in steps


def test_prior_missing_after_it_is_published_is_an_error(tmp_path):
    from forecast_pipeline.model_input import prior_not_published_reason

    assert prior_not_published_reason(2028, "president", date(2028, 7, 30)).startswith(
        "the 2028 presidential"
    )
    # from the end of July the inputs exist: a missing fundamentals.csv row is a data error, not a skip
    assert prior_not_published_reason(2028, "president", date(2028, 7, 31)) is None
    assert prior_not_published_reason(2024, "president", date(2024, 3, 1)) is None  # the row exists
    assert prior_not_published_reason(2028, "senate", TODAY) is None


def test_the_run_command_says_there_is_nothing_to_forecast(
    engine, loaded, tmp_path, database_url, monkeypatch
):
    from forecast_pipeline.model_input import NoDataError
    from forecast_pipeline.runner import run_forecast

    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(
        NoDataError, match="2028 senate as of 2026-11-27: nothing to forecast: no senate race"
    ):
        run_forecast(2028, "senate", TODAY, log=lambda _: None, artifacts_dir=str(tmp_path))
