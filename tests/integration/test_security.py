"""Security: hostile strings go through every write and read path as data; the runtime role cannot drop or
truncate raw tables and is what runs use; credentials never appear in output; services stay on localhost."""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from forecast_pipeline.config import PROJECT_ROOT, Settings, redact_url, scrub_secrets
from forecast_pipeline.db.engine import get_engine
from tests.bad_inputs.make_corpus import HEADER, row

HOSTILE = [
    'O\'Reilly & Sons "Polling"',
    "'); DROP TABLE raw.poll_answers; --",
    "Robert'); DROP TABLE core.candidates;--",
    "x; DELETE FROM ops.load_runs WHERE true; --",
    "%s %(name)s :name $1 ? {0} \\N \\x00",
    "back\\slash \\\\ and tab\tinside",
    "Ünïcödé — 選挙 — انتخابات — 🗳️🇺🇸 — e\u0301 — zero\u200bwidth",
    "L" * 200,  # the longest name allowed
]
TOO_LONG = "Z" * 201


def _hostile_file(path: Path) -> Path:
    rows = []
    for i, name in enumerate(HOSTILE):
        rows += [
            row(
                question_id=str(i),
                poll_id=str(1000 + i),
                pollster=name,
                sponsors=name,
                answer=name,
                candidate_party="DEM",
                pct="48",
            ),
            row(
                question_id=str(i),
                poll_id=str(1000 + i),
                pollster=name,
                sponsors=name,
                answer="Trump",
                candidate_party="REP",
                pct="47",
            ),
        ]
    rows.append(row(question_id="99", poll_id="1099", pollster=TOO_LONG, answer="Biden"))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _runtime(engine: sa.Engine) -> sa.Engine:
    return get_engine(url=engine.url.render_as_string(hide_password=False))


def test_hostile_pollster_and_candidate_names_are_stored_as_data(fresh_engine, tmp_path):
    from forecast_pipeline.ingest import load_files
    from forecast_pipeline.model_input import visible_polls

    data = tmp_path / "data"
    data.mkdir()
    # a hostile file name too: it becomes the source key stored with every row
    name = "x'); DROP TABLE raw.results; --.csv"
    _hostile_file(data / name)
    runtime = _runtime(fresh_engine)
    (report,) = load_files(runtime, data, [name])
    assert (report.status, report.rows_read, report.rows_loaded, report.rows_rejected) == (
        "loaded",
        17,
        16,
        1,
    )
    with fresh_engine.connect() as conn:
        tables = set(
            conn.execute(
                sa.text(
                    "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('raw', 'core', 'ops', 'forecast')"
                )
            ).scalars()
        )
        pollsters = set(conn.execute(sa.text("SELECT name FROM core.pollsters")).scalars())
        candidates = set(conn.execute(sa.text("SELECT name FROM core.candidates")).scalars())
        raw = conn.execute(sa.text("SELECT DISTINCT source, pollster, sponsor FROM raw.poll_answers")).all()
        reject = conn.execute(sa.text("SELECT reason, raw->>'pollster' FROM ops.rejected_rows")).one()
        runs = conn.execute(sa.text("SELECT count(*) FROM ops.load_runs")).scalar_one()
    assert {"raw.poll_answers", "raw.results", "core.candidates", "ops.load_runs"} <= tables
    assert pollsters == set(HOSTILE)  # byte for byte
    assert candidates == set(HOSTILE) | {"Trump"}
    assert {r.source for r in raw} == {name} and {r.pollster for r in raw} == {r.sponsor for r in raw} == set(
        HOSTILE
    )
    assert reject == ("pollster is 201 characters long (limit 200)", TOO_LONG)
    assert runs == 1
    # and they come back out through the model's query unchanged
    polls = visible_polls(runtime, 2020, "president", pd.Timestamp("2020-11-03").date())
    assert set(polls["pollster"]) == set(HOSTILE)


def test_hostile_strings_in_query_parameters_are_never_sql(fresh_engine):
    runtime = _runtime(fresh_engine)
    from forecast_pipeline.model_input import two_party_results

    for value in HOSTILE:
        assert two_party_results(runtime, 2020, value).empty  # office is a bound parameter
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM raw.poll_answers")).scalar_one() == 0


# ---------------------------------------------------------------- the runtime role


def test_runs_use_the_runtime_role_which_cannot_drop_or_truncate_raw_tables(fresh_engine):
    runtime = _runtime(fresh_engine)
    with runtime.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar_one() == "forecast_runtime"
        assert conn.execute(sa.text("SELECT count(*) FROM raw.poll_answers")).scalar_one() == 0
    with runtime.begin() as conn:  # it writes forecasts
        run = conn.execute(
            sa.text(
                "INSERT INTO forecast.runs (cycle, office, as_of, model_type, model_version, config_hash, status,"
                " failure_reason) VALUES (2020, 'president', '2020-11-02', 't', 'v', 'h', 'failed', 'test')"
                " RETURNING run_id"
            )
        ).scalar_one()
        conn.execute(sa.text("DELETE FROM forecast.runs WHERE run_id = :r"), {"r": run})
    for statement in (
        "DROP TABLE raw.poll_answers",
        "TRUNCATE raw.poll_answers",
        "TRUNCATE raw.results",
        "DROP TABLE raw.results CASCADE",
        "ALTER TABLE raw.poll_answers DROP COLUMN pct",
        "DROP SCHEMA raw CASCADE",
        "TRUNCATE ops.load_runs CASCADE",
        "DROP TABLE forecast.runs",
        "DELETE FROM ops.schema_migrations",
    ):
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"),
            runtime.begin() as conn,
        ):
            conn.execute(sa.text(statement))
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT to_regclass('raw.poll_answers') IS NOT NULL")).scalar_one()


def test_the_runtime_role_can_do_a_whole_load(fresh_engine, data_dir):
    from forecast_pipeline.ingest import load_files

    runtime = _runtime(fresh_engine)
    files = [
        "fivethirtyeight-election-results/election_results_presidential.csv",
        "economist-us-potus-model/all_polls_2012.csv",
    ]
    reports = load_files(runtime, data_dir, files)  # COPY, DELETE, core rebuild (TRUNCATE core)
    assert [r.status for r in reports] == ["loaded", "loaded"]
    assert load_files(runtime, data_dir, files)[1].status == "unchanged"
    with runtime.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM core.polls")).scalar_one() > 1000


# ---------------------------------------------------------------- credentials


SECRET = "Sup3r-S3cret-pw"


@pytest.mark.parametrize(
    "args", [["db", "migrate"], ["data", "load"], ["run", "--cycle", "2012", "--as-of", "2012-11-05"]]
)
def test_a_failing_connection_never_shows_the_password(monkeypatch, tmp_path, args, caplog):
    from forecast_pipeline.cli import main

    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql://forecast:{SECRET}@127.0.0.1:9/forecast?connect_timeout=3"
    )
    monkeypatch.setenv("FORECAST_ARTIFACTS", str(tmp_path))
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(main, ["-v", *args])
    output = result.output + caplog.text
    assert result.exit_code == 1, output
    assert "error: " in output and "127.0.0.1" in output
    if args[0] != "run":  # `run` reports the failed Dagster step; the others the connection error itself
        assert "error: OperationalError" in output
    assert SECRET not in output
    assert "Traceback" in output  # -v shows the traceback, scrubbed
    quiet = CliRunner().invoke(main, args)
    assert "Traceback" not in quiet.output and SECRET not in quiet.output and quiet.exit_code == 1


def test_credentials_from_a_secrets_file_work_and_never_appear(
    engine, monkeypatch, tmp_path, caplog, data_dir
):
    from forecast_pipeline.cli import main

    url = engine.url.set(password=SECRET).render_as_string(hide_password=False)
    secret_file = tmp_path / "database_url"
    secret_file.write_text(url + "\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret_file))
    settings = Settings.from_env()
    assert settings.database_url == url and SECRET not in repr(settings)
    assert SECRET not in redact_url(url) and "***" in redact_url(url)
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        main,
        [
            "-v",
            "data",
            "load",
            "--source",
            str(data_dir),
            "--file",
            "economist-us-potus-model/all_polls_2012.csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output + caplog.text
    assert "rows read" in result.output


def test_scrub_masks_passwords_in_any_message(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:{SECRET}@h/db")
    text = f"could not connect with {SECRET} to postgresql://a:other@h/db (password=hunter2 dbname=x)"
    out = scrub_secrets(text)
    assert SECRET not in out and "other" not in out and "hunter2" not in out


# ---------------------------------------------------------------- localhost only


def test_embedded_database_listens_on_a_unix_socket_only(engine):
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW listen_addresses")).scalar_one() == ""
    if engine.url.host is None:
        assert engine.url.query.get("host", "").startswith("/")


def test_dagster_ui_and_compose_bind_localhost_only():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    dev = next(line for line in makefile.splitlines() if "dagster dev" in line)
    assert re.search(r"-h 127\.0\.0\.1\b", dev)
    import yaml

    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    # published ports (host bindings) must be on localhost; `expose` is container-network only
    ports = [str(p) for svc in compose["services"].values() for p in svc.get("ports", [])]
    assert ports and all(p.startswith("127.0.0.1:") for p in ports)
