"""pandera table schemas as Dagster asset checks: the real data passes every one, a bad row stored by
another path fails the right check, and polls carried by two sources are stored once with their
conflicts reported."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from assets.checks import TABLE_CHECKS, cross_source_conflicts
from assets.resources import Database
from forecast_pipeline.schemas.tables import TABLE_SPECS, read_table, validate_frame, validate_table

BLOCKING = [s for s in TABLE_SPECS if s.blocking]


@pytest.mark.parametrize("spec", BLOCKING, ids=[s.name for s in BLOCKING])
def test_real_data_passes_every_blocking_table_schema(loaded, engine, spec):
    result = validate_table(engine, spec)
    assert result.rows > 1000
    assert result.passed, result.summary().to_string()


def test_poll_sum_warning_flags_only_the_column_subset_file(loaded, engine):
    spec = next(s for s in TABLE_SPECS if s.name == "core_poll_sums")
    result = validate_table(engine, spec)
    assert not spec.blocking and result.rows > 10000
    failing = read_table(engine, spec).loc[result.failures["index"].unique()]
    assert len(failing) < 20
    assert set(failing["source"]) == {"alexfifer-data-mining/president_polls_2020.csv"}


def _spec(name):
    return next(s for s in TABLE_SPECS if s.name == name)


def test_schema_failures_name_the_rule_and_the_rows():
    frame = pd.DataFrame(
        {
            "poll_key": ["a", "b", "c", "c"],
            "source": "f.csv",
            "race_id": "2020-president-PA",
            "cycle": 2020,
            "office": "president",
            "state": ["PA", "PA", "XX", "PA"],
            "district": None,
            "start_date": pd.to_datetime(["2020-10-01", "2020-10-05", "2020-10-01", "2020-10-01"]),
            "end_date": pd.to_datetime(["2020-10-03", "2020-10-03", "2099-10-03", "2020-10-03"]),
            "created_at": pd.NaT,
            "sample_size": [800.0, 0.0, 500.0, 500.0],
            "population": ["lv", "lv", "zz", "lv"],
            "pollster": ["P", "P", "P", ""],
            "n_sources": 1,
        }
    )
    result = validate_frame(_spec("core_polls"), frame)
    summary = result.summary().set_index("check")["failing_rows"].to_dict()
    assert not result.passed
    assert summary["end_after_start: end_date is on or after start_date"] == 1
    assert summary["end_not_future: end_date is not in the future"] == 1
    assert summary["state_known: state is a USPS code or US"] == 1
    assert summary["population_known: population, where given, is one of lv, rv, a, v"] == 1
    assert summary["pollster_present: every poll names its pollster"] == 1
    assert any("sample_size_positive" in k for k in summary)
    assert any("unique" in str(k) or "duplicate" in str(k) for k in summary)  # poll_key 'c' twice


def test_blocking_asset_check_fails_on_a_row_stored_behind_the_loaders_back(fresh_engine, data_dir):
    from forecast_pipeline.ingest import load_files

    load_files(fresh_engine, data_dir, ["economist-us-potus-model/all_polls_2012.csv"])
    database = Database(url=fresh_engine.url.render_as_string(hide_password=False))
    checks = {next(iter(c.check_keys)).name: c for c in TABLE_CHECKS}
    ok = checks["raw_poll_answers_schema"](database=database)
    assert ok.passed and ok.metadata["rows"].value == 2350
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE raw.poll_answers SET pct = 180 WHERE line_no = 2 AND candidate = 'Obama'")
        )
    bad = checks["raw_poll_answers_schema"](database=database)
    assert not bad.passed and "pct_range" in bad.description and "(1 rows)" in bad.description
    assert next(iter(checks["raw_poll_answers_schema"].check_specs)).blocking


def test_poll_in_two_sources_stored_once_with_conflicts_reported(loaded, engine):
    database = Database(url=engine.url.render_as_string(hide_password=False))
    result = cross_source_conflicts(database=database)
    n_polls = result.metadata["polls_in_several_sources"].value
    assert n_polls > 2500  # the 2,984 polls simonw's and alexfifer's 538 files share, give or take
    with engine.connect() as conn:
        dupes = conn.execute(
            sa.text("SELECT count(*) - count(DISTINCT poll_key) FROM core.polls")
        ).scalar_one()
        conflicts = pd.read_sql(sa.text("SELECT * FROM ops.poll_source_conflicts"), conn)
        one = conn.execute(
            sa.text("SELECT n_sources, source FROM core.polls WHERE poll_key = 'fte:71558:2020-president-US'")
        ).one_or_none()
    assert dupes == 0
    assert set(conflicts["field"]) <= {"pollster", "start_date", "end_date", "sample_size", "population"}
    assert (conflicts["value_a"].fillna("") != conflicts["value_b"].fillna("")).all()
    assert "field conflicts" in result.description
    if one is not None:
        assert one.n_sources == 2
