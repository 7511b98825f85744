"""Freshness: the data files are loaded every night, so raw/polls older than 26 hours is overdue."""

import warnings
from datetime import timedelta

import dagster as dg

# Dagster 1.13 prefers FreshnessPolicy (a status, not a check); the check keeps freshness next to the
# other checks in the UI, with its reason ("overdue by ..."), and the sensor evaluates it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=Warning)
    FRESHNESS_CHECKS = dg.build_last_update_freshness_checks(
        assets=[dg.AssetKey(["raw", "polls"])],
        lower_bound_delta=timedelta(hours=26),
    )
    FRESHNESS_SENSOR = dg.build_sensor_for_freshness_checks(
        freshness_checks=FRESHNESS_CHECKS,
        name="freshness_checks_sensor",
        default_status=dg.DefaultSensorStatus.STOPPED,
    )
