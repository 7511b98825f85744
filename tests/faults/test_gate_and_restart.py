"""The convergence gate blocks publishing (through the CLI and the Dagster graph), and a database
restart during a run fails the step cleanly, after which Dagster's retry policy completes the run."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from click.testing import CliRunner

from tests.faults.test_publish_faults import _publish, _published


def test_failed_convergence_is_stored_and_never_replaces_the_published_forecast(
    engine, short_fit, data_dir, tmp_path, monkeypatch
):
    from forecast_pipeline.cli import main

    _publish(engine, short_fit)
    run_before, rows_before = _published(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FORECAST_DATA_DIR", str(data_dir))
    monkeypatch.setenv("FORECAST_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    out = tmp_path / "doc.json"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--cycle",
            "2012",
            "--office",
            "president",
            "--as-of",
            "2012-11-05",
            "--draws",
            "60",
            "--tune",
            "60",
            "--chains",
            "2",
            "--min-ess",
            "1000000",
            "--json",
            str(out),
        ],
    )
    output = result.output
    assert result.exit_code == 2, output + repr(result.exception)
    assert "NOT PUBLISHED: the convergence check failed (" in output
    assert "min bulk ESS" in output and "< 1000000.0" in output
    doc = json.loads(out.read_text())
    assert doc["published"] is False and doc["failed_run_id"] is not None
    # the published forecast is the one from before, row for row
    run_after, rows_after = _published(engine)
    assert run_after == run_before and rows_after.equals(rows_before)
    with engine.connect() as conn:
        failed = conn.execute(
            sa.text(
                "SELECT status, failure_reason, diagnostics, min_ess_bulk, dagster_run_id FROM forecast.runs "
                "WHERE run_id = :r"
            ),
            {"r": doc["failed_run_id"]},
        ).one()
        rows = conn.execute(
            sa.text("SELECT count(*) FROM forecast.race_forecasts WHERE run_id = :r"),
            {"r": doc["failed_run_id"]},
        ).scalar_one()
    assert failed.status == "failed" and "min bulk ESS" in failed.failure_reason
    assert failed.diagnostics["thresholds"]["min_ess_bulk"] == 1_000_000
    assert failed.diagnostics["min_ess_bulk"] == failed.min_ess_bulk < 1_000_000
    assert set(failed.diagnostics) >= {"max_rhat", "min_ess_bulk", "divergences", "sampling_seconds"}
    assert failed.dagster_run_id and rows == 0


def test_database_restart_during_a_run_fails_the_step_and_the_retry_succeeds(data_dir, monkeypatch):
    from assets.ingest import load_reconciles, raw_polls
    from assets.resources import Database
    from forecast_pipeline.db.server import embedded_url, restart_embedded, stop_embedded
    from forecast_pipeline.loaders.registry import KNOWN_FILES

    root = Path(tempfile.mkdtemp(prefix="forecast-restart-pg-"))
    pgdata = root / "data"
    try:
        url = embedded_url(pgdata)
        marker, release = root / "paused", root / "release"
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("FORECAST_DATA_DIR", str(data_dir))
        monkeypatch.setenv("FORECAST_TEST_PAUSE_AT", "ingest:store")
        monkeypatch.setenv("FORECAST_TEST_PAUSE_FILE", str(marker))
        monkeypatch.setenv("FORECAST_TEST_RELEASE_FILE", str(release))
        monkeypatch.setenv("FORECAST_TEST_PAUSE_SECONDS", "120")

        def restart_when_paused():
            deadline = time.monotonic() + 300
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            restart_embedded(pgdata)  # kills the paused session in the middle of its transaction
            release.write_text("go")

        thread = threading.Thread(target=restart_when_paused, daemon=True)
        thread.start()
        result = dg.materialize(
            [raw_polls, load_reconciles],
            resources={"database": Database()},
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
        thread.join(10)
        events = [e.event_type_value for e in result.all_events]
        assert marker.exists() and "STEP_UP_FOR_RETRY" in events
        retry = next(e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY")
        # the step failed on the lost connection (Dagster wraps it: RetryRequestedFromPolicy <- OperationalError)
        chain, error = [], retry.event_specific_data.error
        while error is not None:
            chain.append(error.cls_name)
            error = error.cause or error.context
        assert "OperationalError" in chain, chain
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations())
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT source, status FROM ops.load_runs ORDER BY load_id")).all()
            polls = conn.execute(sa.text("SELECT count(*) FROM core.polls")).scalar_one()
        engine.dispose()
        # the interrupted attempt left nothing behind: one loaded run per file, no 'running' leftovers
        assert sorted(s for s, _ in runs) == sorted(KNOWN_FILES) and {st for _, st in runs} == {"loaded"}
        assert polls > 10000
    finally:
        stop_embedded(pgdata)
        shutil.rmtree(root, ignore_errors=True)
