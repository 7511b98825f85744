"""Atomic, idempotent publishing under faults: re-publishing, kill -9 inside the transaction, concurrent
runs, a failed convergence check, and a database restart during a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from forecast_pipeline.config import PROJECT_ROOT
from forecast_pipeline.publish import build_forecast_table, publish_forecast
from tests.faults.conftest import AS_OF

RACE_COLUMNS = ["race_id", "p_dem_win", "dem_two_party_mean", "dem_two_party_q10", "dem_two_party_q90"]


def _published(engine, as_of=AS_OF) -> tuple[int | None, pd.DataFrame]:
    with engine.connect() as conn:
        run = conn.execute(
            sa.text(
                "SELECT run_id FROM forecast.runs WHERE cycle = 2012 AND office = 'president' AND as_of = :d "
                "AND status = 'published'"
            ),
            {"d": as_of},
        ).scalar_one_or_none()
        rows = pd.read_sql(
            sa.text(
                "SELECT race_id, p_dem_win, dem_two_party_mean, dem_two_party_q10, dem_two_party_q90 "
                "FROM forecast.race_forecasts WHERE run_id = :r ORDER BY race_id"
            ),
            conn,
            params={"r": run},
        )
    return run, rows


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT count(*) FROM forecast.{t}")).scalar_one()
            for t in ("runs", "race_forecasts", "race_trend", "scores")
        }


def _publish(engine, fit, scale: float = 1.0):
    table, scores = build_forecast_table(engine, fit.inp, fit.idata)
    table["p_dem_win"] = table["p_dem_win"] * scale
    return publish_forecast(engine, fit.inp, fit.idata, table, scores), table


def test_republishing_the_same_forecast_is_idempotent(engine, short_fit):
    first, table = _publish(engine, short_fit)
    before = _counts(engine)
    second, _ = _publish(engine, short_fit)
    run, rows = _published(engine)
    assert first == second == run
    assert _counts(engine) == before  # nothing written the second time
    assert len(rows) == len(table) == 51 and rows["race_id"].is_unique
    pd.testing.assert_frame_equal(
        rows.reset_index(drop=True),
        table[RACE_COLUMNS].sort_values("race_id").reset_index(drop=True),
        check_dtype=False,
    )


def _worker(
    engine,
    fit,
    tmp_path: Path,
    as_of: str | None = None,
    scale: float = 0.5,
    pause_at: str | None = None,
    release: Path | None = None,
) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / f"paused-{as_of}-{pause_at}"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    if pause_at:
        env.update(
            FORECAST_TEST_PAUSE_AT=pause_at,
            FORECAST_TEST_PAUSE_FILE=str(marker),
            FORECAST_TEST_PAUSE_SECONDS="300",
        )
    if release:
        env["FORECAST_TEST_RELEASE_FILE"] = str(release)
    args = [
        sys.executable,
        "-m",
        "tests.faults.publish_worker",
        "--url",
        engine.url.render_as_string(hide_password=False),
        "--inp",
        str(fit.inp_path),
        "--posterior",
        str(fit.posterior_path),
        "--scale",
        str(scale),
    ]
    if as_of:
        args += ["--as-of", as_of]
    proc = subprocess.Popen(
        args, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, marker


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("worker never reached the pause point")
        time.sleep(0.05)


@pytest.mark.parametrize("pause_at", ["publish:after_supersede", "publish:after_rows"])
def test_kill_9_during_the_database_write_leaves_the_published_forecast_intact(
    engine, short_fit, tmp_path, pause_at
):
    _publish(engine, short_fit)
    run_before, rows_before = _published(engine)
    counts_before = _counts(engine)
    proc, marker = _worker(engine, short_fit, tmp_path, pause_at=pause_at)
    _wait_for(marker, proc)
    # the worker is inside the transaction: the old run is already marked superseded (and, at
    # after_rows, the new run and all its rows are written), but nothing is committed
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    run_after, rows_after = _published(engine)
    assert run_after == run_before
    pd.testing.assert_frame_equal(rows_after, rows_before)
    assert _counts(engine) == counts_before
    # the dead session's lock is gone: the same publish now completes and replaces the forecast
    run_id, _ = _publish(engine, short_fit, scale=0.5)
    run_new, rows_new = _published(engine)
    assert run_new == run_id != run_before
    assert (rows_new["p_dem_win"] - rows_before["p_dem_win"] * 0.5).abs().max() < 1e-9
    _publish(engine, short_fit)  # put the unscaled forecast back for the other tests


def test_concurrent_runs_for_different_as_of_dates_do_not_interfere(engine, short_fit, tmp_path):
    _publish(engine, short_fit)
    run_before, rows_before = _published(engine)
    dates = ["2012-11-06", "2012-11-07"]
    release = tmp_path / "release"
    procs = [
        _worker(engine, short_fit, tmp_path, as_of=d, scale=s, pause_at="publish:after_rows", release=release)
        for d, s in zip(dates, (0.5, 0.25), strict=True)
    ]
    for proc, marker in procs:
        _wait_for(marker, proc)
    # both are inside their publish transactions, with all their rows written, at the same time
    assert all(p.poll() is None for p, _ in procs)
    release.write_text("go")
    for proc, _ in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    for d, s in zip(dates, (0.5, 0.25), strict=True):
        run, rows = _published(engine, date.fromisoformat(d))
        assert run is not None and len(rows) == 51
        assert (rows["p_dem_win"] - rows_before["p_dem_win"] * s).abs().max() < 1e-9
    run_after, rows_after = _published(engine)
    assert run_after == run_before
    pd.testing.assert_frame_equal(rows_after, rows_before)


def test_concurrent_publishes_of_one_forecast_take_turns(engine, short_fit, tmp_path):
    procs = [_worker(engine, short_fit, tmp_path, as_of="2012-11-08", scale=s) for s in (0.5, 0.25)]
    for proc, _ in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err  # no unique-index violation: the advisory lock serialises them
    with engine.connect() as conn:
        statuses = conn.execute(
            sa.text("SELECT status, count(*) FROM forecast.runs WHERE as_of = '2012-11-08' GROUP BY status")
        ).all()
    assert dict(statuses) == {"published": 1, "superseded": 1}


def test_posteriors_of_different_as_of_dates_are_separate_files(tmp_path):
    import dagster as dg

    from assets.resources import ForecastTarget, PosteriorIOManager

    context = dg.build_output_context(asset_key=dg.AssetKey(["model", "posterior"]))
    paths = {
        PosteriorIOManager(base_dir=str(tmp_path), target=ForecastTarget(as_of=d))._path(context)
        for d in ("2012-11-05", "2012-11-06")
    }
    assert len(paths) == 2 and all(p.name == "model_posterior.nc" for p in paths)
