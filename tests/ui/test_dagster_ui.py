"""The Dagster UI as an analyst uses it: `dagster dev` on a free localhost port, the asset graph in
headless Chromium, and materializations launched through the webserver's GraphQL API."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests import browser

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "forecast_pipeline"

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}"""

RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status tags { key value } }
  }
}"""

MATERIALIZATION = """
query Asset($key: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $key) {
    ... on Asset {
      assetMaterializations(limit: 1, partitions: $partitions) {
        runId partition
        metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
    }
  }
}"""


def _text(dom: str) -> str:
    """The text the page shows (markup, styles and scripts removed), one space between words."""
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", dom, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(base: str, query: str, variables: dict) -> dict:
    req = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        body = json.loads(resp.read())
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory, database_url, data_dir, loaded):
    tmp = tmp_path_factory.mktemp("dagster-dev")
    home = tmp / "dagster_home"
    home.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DATABASE_URL": database_url,
        "FORECAST_DATA_DIR": str(data_dir),
        "FORECAST_ARTIFACTS": str(tmp / "artifacts"),
        "DAGSTER_TELEMETRY_DISABLED": "1",
    }
    log = (tmp / "dagster-dev.log").open("w")
    dagster = str(Path(sys.executable).with_name("dagster"))
    # Own session and process group: dagster dev starts a webserver, a daemon and code servers.
    proc = subprocess.Popen(
        [dagster, "dev", "-w", "dagster_workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, (tmp / "dagster-dev.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("dagster dev did not answer in 300 s") from None
                time.sleep(2)
        # The code location loads in its own process; wait until its assets are served.
        while True:
            data = _graphql(base, "{ assetNodes { assetKey { path } } }", {})
            if data["assetNodes"]:
                break
            assert time.monotonic() < deadline, "the code location did not load"
            time.sleep(2)
        # The analyst has dismissed the "join the community" dialog, so it does not hide the graph.
        assert _graphql(base, "mutation { setNuxSeen }", {})["setNuxSeen"] is True
        assert _graphql(base, "{ shouldShowNux }", {})["shouldShowNux"] is False
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_asset_graph_shows_the_pipeline(dagster_dev):
    keys = {
        "/".join(n["assetKey"]["path"])
        for n in _graphql(dagster_dev, "{ assetNodes { assetKey { path } } }", {})["assetNodes"]
    }
    assert {
        "raw/polls",
        "core/validated_polls",
        "model/posterior",
        "forecast/race_forecasts",
        "report/forecast_report",
        "backtest/scores",
    } <= keys

    # The global lineage shows every group; a group's lineage shows its assets and their neighbours.
    text = _text(browser.dump_dom(f"{dagster_dev}/asset-groups", budget_ms=30000))
    assert "Global asset lineage" in text
    words = set(text.split())
    for group in ("ingest", "validate", "model", "publish", "diagnostics", "report", "backtest"):
        assert group in words, group
    group_url = f"{dagster_dev}/locations/{LOCATION}/asset-groups/model"
    words = set(_text(browser.dump_dom(group_url, budget_ms=30000)).split())
    for name in (
        "validated_polls",
        "input",
        "posterior",
        "race_forecasts",
        "convergence_summary",
        "forecast_report",
    ):
        assert name in words, name
    browser.screenshot(
        group_url, browser.artifacts_dir() / "dagster-asset-graph.png", size="1600,1000", budget_ms=30000
    )

    automation = _graphql(
        dagster_dev,
        """{ repositoriesOrError { ... on RepositoryConnection { nodes {
        schedules { name cronSchedule } sensors { name } } } } }""",
        {},
    )
    repo = automation["repositoriesOrError"]["nodes"][0]
    assert {"nightly_forecast", "nightly_ingest"} <= {s["name"] for s in repo["schedules"]}
    assert "new_polls" in {s["name"] for s in repo["sensors"]}


def _launch_and_wait(base: str, asset: list[str], partition: str | None = None, timeout: float = 600) -> str:
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": "__repository__",
            "pipelineName": "__ASSET_JOB",
            "assetSelection": [{"path": asset}],
        },
        "mode": "default",
        "runConfigData": {},
        "executionMetadata": {
            "tags": [{"key": "dagster/partition", "value": partition}] if partition else []
        },
    }
    res = _graphql(base, LAUNCH, {"params": params})["launchPipelineExecution"]
    assert res["__typename"] == "LaunchRunSuccess", res
    run_id = res["run"]["runId"]
    deadline = time.monotonic() + timeout
    while True:
        status = _graphql(base, RUN, {"runId": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        time.sleep(2)
    assert status == "SUCCESS", f"run {run_id}: {status}"
    return run_id


def test_materialize_from_the_webserver(dagster_dev):
    # The ingest asset (data already loaded, so the files are only hashed) and its reconciliation check.
    run_id = _launch_and_wait(dagster_dev, ["raw", "polls"])
    mat = _graphql(dagster_dev, MATERIALIZATION, {"key": {"path": ["raw", "polls"]}, "partitions": None})
    last = mat["assetOrError"]["assetMaterializations"][0]
    assert last["runId"] == run_id
    rows = {e["label"]: e.get("intValue") for e in last["metadataEntries"]}
    assert rows["dagster/row_count"] > 100_000

    # One partition of the forecast path: 2020 president as of 2 November 2020, validated polls.
    part = "2020-11-02|president"
    run_id = _launch_and_wait(dagster_dev, ["core", "validated_polls"], partition=part)
    mat = _graphql(
        dagster_dev, MATERIALIZATION, {"key": {"path": ["core", "validated_polls"]}, "partitions": [part]}
    )
    last = mat["assetOrError"]["assetMaterializations"][0]
    assert (last["runId"], last["partition"]) == (run_id, part)
    rows = {e["label"]: e.get("intValue") for e in last["metadataEntries"]}
    assert rows["dagster/row_count"] > 2000
