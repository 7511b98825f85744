"""The development instance (deploy/dev/dagster.yaml, installed by `make dev-home` / `make dagster-dev`):
Dagster loads it, its run queue limits backfills and its pool limits the fit, and the limits are the
same as the docker deployment's (deploy/dagster.yaml)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "deploy" / "dev" / "dagster.yaml"
DEPLOY = ROOT / "deploy" / "dagster.yaml"


@pytest.fixture()
def dev_home(tmp_path) -> Path:
    """A DAGSTER_HOME set up the way `make dagster-dev` sets it up."""
    home = tmp_path / "dagster_home"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    out = subprocess.run(
        [shutil.which("make") or "make", "-s", "dev-home"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert (home / "dagster.yaml").read_text() == DEV.read_text()
    return home


def test_the_dev_instance_queues_runs_and_limits_backfills_and_the_fit(dev_home):
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator

    instance = DagsterInstance.from_config(str(dev_home))
    try:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 3
        assert queue.tag_concurrency_limits == [{"key": "dagster/backfill", "limit": 1}]
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1
        # the pool the fit declares (assets/forecast.py: pool="pymc_fit") gets that one slot
        from assets.forecast import FORECAST_ASSETS

        fit = next(a for a in FORECAST_ASSETS if a.key.path == ["model", "posterior"])
        assert {n.pool for n in fit.node_def.iterate_op_defs()} == {"pymc_fit"}
    finally:
        instance.dispose()


def test_dev_and_deployment_limits_agree():
    from dagster._core.instance.config import dagster_instance_config

    dev, _ = dagster_instance_config(str(DEV.parent))  # validated against Dagster's schema
    deploy = yaml.safe_load(DEPLOY.read_text())
    assert dev["run_coordinator"] == deploy["run_coordinator"]
    assert dev["concurrency"] == deploy["concurrency"]


def test_make_dev_home_keeps_a_users_own_config(tmp_path):
    home = tmp_path / "mine"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    out = subprocess.run(["make", "-s", "dev-home"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and "differs from deploy/dev/dagster.yaml" in out.stdout
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
