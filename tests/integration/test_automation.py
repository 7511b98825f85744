"""The code location as a product: definitions, partitions, the nightly schedule and the new-polls sensor."""

import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from assets.automation import nightly_forecast, poll_sensor_step
from assets.definitions import build_defs
from assets.partitions import FORECAST_PARTITIONS, forecast_from_partition, parse_partition_key
from assets.resources import Database
from forecast_pipeline.cycles import cycle_for, offices_with_races


def test_every_asset_is_described_grouped_owned_and_kinded():
    defs = build_defs()
    repo = defs.get_repository_def()
    forecast_keys = {
        "core/validated_polls",
        "model/input",
        "model/posterior",
        "forecast/race_forecasts",
        "diagnostics/convergence_summary",
        "report/forecast_report",
    }
    for key, a in repo.assets_defs_by_key.items():
        spec = next(s for s in a.specs if s.key == key)
        name = key.to_user_string()
        assert spec.description and len(spec.description) > 30, name
        assert spec.group_name and spec.group_name != "default", name
        assert spec.owners == ["team:forecasting"], name
        assert spec.kinds, name
        if name in forecast_keys:
            assert spec.partitions_def == FORECAST_PARTITIONS, name
    checks = {k.name: k for k in repo.asset_checks_defs_by_key}
    assert {"load_reconciles", "polls_valid", "convergence", "freshness_check"} <= set(checks)
    assert defs.resolve_job_def("forecast_job").partitions_def == FORECAST_PARTITIONS
    assert {s.name for s in repo.schedule_defs} == {"nightly_ingest", "nightly_forecast"}
    assert {"new_polls", "freshness_checks_sensor"} <= {s.name for s in repo.sensor_defs}
    # the PyMC fit runs in the pool that dagster.yaml limits
    assert repo.assets_defs_by_key[dg.AssetKey(["model", "posterior"])].op.pool == "pymc_fit"


def test_partitions_and_cycles():
    assert cycle_for(date(2020, 11, 3)) == 2020 and cycle_for(date(2020, 11, 4)) == 2022
    assert cycle_for(date(2021, 1, 1)) == 2022 and cycle_for(date(2019, 12, 31)) == 2020
    assert cycle_for(date(2026, 11, 27)) == 2028
    key = dg.MultiPartitionKey({"as_of": "2020-11-02", "office": "senate"})
    assert parse_partition_key(key) == parse_partition_key(str(key)) == (date(2020, 11, 2), "senate")
    f = forecast_from_partition(key)
    assert (f.cycle, f.office, f.label) == (2020, "senate", "2020-senate-2020-11-02")
    keys = FORECAST_PARTITIONS.get_partition_keys(current_time=datetime(2020, 1, 2, 12, tzinfo=UTC))
    assert "2008-01-01|president" in keys and "2020-01-02|governor" in keys  # today's partition exists
    assert "2020-01-03|governor" not in keys


def _requests(database_url, when: datetime):
    ctx = dg.build_schedule_context(
        scheduled_execution_time=when, resources={"database": Database(url=database_url)}
    )
    return nightly_forecast(ctx)


def test_nightly_schedule_asks_for_todays_partition_of_each_office_with_races(database_url, loaded):
    got = _requests(database_url, datetime(2020, 10, 15, 6, tzinfo=UTC))
    assert sorted(r.partition_key for r in got) == [
        "2020-10-15|governor",
        "2020-10-15|president",
        "2020-10-15|senate",
    ]
    assert {r.run_key for r in got} == {
        f"nightly-2020-10-15-{o}" for o in ("governor", "president", "senate")
    }
    assert all(r.tags["dagster/priority"] == "10" for r in got)
    # a midterm: no presidential race
    got = _requests(database_url, datetime(2018, 9, 1, 6, tzinfo=UTC))
    assert sorted(r.partition_key for r in got) == ["2018-09-01|governor", "2018-09-01|senate"]
    # after Election Day the next cycle is current: 2028 has its presidential states (prior: 2024 results)
    # but no Senate or governor race in the data yet
    got = _requests(database_url, datetime(2026, 11, 27, 6, tzinfo=UTC))
    assert [r.partition_key for r in got] == ["2026-11-27|president"]


def test_nightly_schedule_skips_when_no_office_has_races(fresh_engine):
    assert offices_with_races(fresh_engine, 2020) == []
    result = _requests(
        fresh_engine.url.render_as_string(hide_password=False), datetime(2020, 10, 15, 6, tzinfo=UTC)
    )
    assert isinstance(result, dg.SkipReason) and "2020 cycle" in result.skip_message


def test_new_polls_sensor_cursor(fresh_engine, data_dir):
    from forecast_pipeline.ingest import load_files

    eng = fresh_engine
    load_files(eng, data_dir, ["economist-us-potus-model/all_polls_2008.csv"])
    today = date(2026, 11, 27)

    # First look: the 2008 file -> its final forecast (as of Election Day 2008) is re-run.
    reqs, cursor, skip = poll_sensor_step(eng, None, today)
    assert skip is None and [r.partition_key for r in reqs] == ["2008-11-04|president"]
    assert reqs[0].tags["forecast/trigger"] == "new_polls"
    # Same cursor, nothing new: no request, cursor unchanged.
    assert poll_sensor_step(eng, cursor, today) == ([], cursor, "no new poll loads")

    # A second file loads: only its cycle is asked for; during the 2012 campaign, as of today.
    load_files(eng, data_dir, ["economist-us-potus-model/all_polls_2012.csv"])
    reqs, cursor2, _ = poll_sensor_step(eng, cursor, date(2012, 10, 1))
    assert [r.partition_key for r in reqs] == ["2012-10-01|president"]
    assert cursor2 != cursor

    # Two loads with the same load time: the one already seen is skipped, the other is not.
    with eng.begin() as conn:
        ids = conn.execute(sa.text("SELECT load_id FROM ops.load_runs ORDER BY load_id")).scalars().all()
        conn.execute(sa.text("UPDATE ops.load_runs SET finished_at = '2026-01-01 00:00+00'"))
    reqs, c_tie, _ = poll_sensor_step(eng, None, today)
    assert len(reqs) == 2
    assert json.loads(c_tie)["load_ids"] == sorted(ids)
    partial = json.dumps({"finished_at": json.loads(c_tie)["finished_at"], "load_ids": [ids[0]]})
    reqs, _, _ = poll_sensor_step(eng, partial, today)
    assert [r.partition_key for r in reqs] == ["2012-11-06|president"]

    # A load whose polls are not in core yet (core is rebuilt after the files load) holds the cursor,
    # until it is older than the settle time.
    with eng.begin() as conn:
        new_id = conn.execute(
            sa.text(
                "INSERT INTO ops.load_runs (source, layout, sha256, rows_read, rows_loaded, rows_rejected,"
                " answer_rows, status, finished_at) VALUES ('x.csv', 'fte', 'h', 1, 1, 0, 2, 'loaded', now())"
                " RETURNING load_id"
            )
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO raw.poll_answers (load_id, source, layout, line_no, poll_key, cycle, office, state,"
                " race_id, poll_id, question_id, pollster, start_date, end_date, candidate, party, pct) VALUES"
                " (:i, 'x.csv', 'fte', 2, 'fte:1:2020-senate-GA', 2020, 'senate', 'GA', '2020-senate-GA', '1',"
                " '1', 'P', '2020-10-01', '2020-10-02', 'A', 'DEM', 48)"
            ),
            {"i": new_id},
        )
    reqs, c_wait, skip = poll_sensor_step(eng, c_tie, today)
    assert reqs == [] and c_wait == c_tie and skip == "no new poll loads"
    later = datetime.now(UTC) + timedelta(minutes=31)
    reqs, c_after, _ = poll_sensor_step(eng, c_tie, today, now=later)
    assert [r.partition_key for r in reqs] == ["2020-11-03|senate"] and c_after != c_tie


@pytest.mark.parametrize("cursor", ["", None])
def test_sensor_with_empty_database(fresh_engine, cursor):
    reqs, new_cursor, skip = poll_sensor_step(fresh_engine, cursor, date(2020, 1, 1))
    assert reqs == [] and new_cursor == cursor and skip == "no new poll loads"
