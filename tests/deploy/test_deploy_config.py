"""Deployment files: docker-compose.yml against the Compose Specification's JSON schema, the Dagster
instance files against Dagster's (and dagster-k8s's) config schemas, and the three agreeing with each
other: services, ports, environment, workspace and code location."""

import copy
import json
import re
import shlex
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = "/opt/dagster/app"  # WORKDIR of the Dockerfile


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return _yaml(ROOT / "docker-compose.yml")


@pytest.fixture(scope="module")
def compose_validator():
    # The published Compose Specification schema, as vendored by check-jsonschema.
    text = (
        resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_compose_file_matches_the_compose_specification(compose, compose_validator):
    errors = sorted(compose_validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert {"postgres", "user_code", "webserver", "daemon"} <= set(compose["services"])


def test_the_schema_rejects_a_broken_compose_file(compose, compose_validator):
    broken = copy.deepcopy(compose)
    broken["services"]["webserver"]["ports"] = {"3000": "3000"}  # must be a list
    broken["services"]["daemon"]["restart_policy"] = "always"  # not a Compose key
    messages = [e.message for e in compose_validator.iter_errors(broken)]
    assert len(messages) >= 2


def _env(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _flag(command: list[str], *names: str) -> str:
    for name in names:
        if name in command:
            return command[command.index(name) + 1]
    raise AssertionError(f"{names} not in {command}")


def _env_refs(node) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(_env_refs(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_env_refs(v) for v in node)) if node else set()
    return set()


def test_compose_agrees_with_dagster_yaml_and_the_workspaces(compose):
    services = compose["services"]
    instance = _yaml(ROOT / "deploy" / "dagster.yaml")
    deploy_ws = _yaml(ROOT / "deploy" / "dagster_workspace.yaml")
    dev_ws = _yaml(ROOT / "dagster_workspace.yaml")
    dockerfile = (ROOT / "Dockerfile").read_text()

    # The code location: the gRPC server the deployment workspace names is the user_code service,
    # serving the module and location name that `dagster dev -w dagster_workspace.yaml` loads.
    grpc = deploy_ws["load_from"][0]["grpc_server"]
    module = dev_ws["load_from"][0]["python_module"]
    code = services[grpc["host"]]
    cmd = code["command"]
    assert _flag(cmd, "-p", "--port") == str(grpc["port"])
    assert str(grpc["port"]) in [str(p) for p in code.get("expose", [])]
    assert _flag(cmd, "-m", "--module-name") == module["module_name"]
    assert _flag(cmd, "-a", "--attribute") == module["attribute"]
    assert _flag(cmd, "--location-name") == grpc["location_name"] == module["location_name"]

    # The webserver and the daemon read that workspace file, where the image puts it.
    assert "COPY deploy ./deploy" in dockerfile and f"WORKDIR {APP_DIR}" in dockerfile
    for name in ("webserver", "daemon"):
        ws_path = _flag(services[name]["command"], "-w", "--workspace")
        assert ws_path == f"{APP_DIR}/deploy/dagster_workspace.yaml"
        assert services[name]["depends_on"]["user_code"]["condition"] == "service_started"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"

    # The webserver's port: published on loopback only, the port it listens on.
    web_port = _flag(services["webserver"]["command"], "-p", "--port")
    assert services["webserver"]["ports"] == [f"127.0.0.1:{web_port}:{web_port}"]
    for svc in services.values():
        for p in svc.get("ports", []):
            assert str(p).startswith("127.0.0.1:"), p

    # dagster.yaml is the instance of every Dagster process: the image copies it into DAGSTER_HOME.
    home = re.search(r"DAGSTER_HOME=(\S+)", dockerfile).group(1)
    assert 'cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"' in dockerfile
    pg = services["postgres"]
    pg_env = _env(pg)
    refs = _env_refs(instance)
    assert refs, "dagster.yaml should read its connection from the environment"
    for name in ("user_code", "webserver", "daemon"):
        env = _env(services[name])
        assert env["DAGSTER_HOME"] == home
        missing = refs - set(env)
        assert not missing, f"{name} lacks {missing} that dagster.yaml reads"
        # Dagster's storage: the postgres service, its user and password, a database it creates.
        assert env["DAGSTER_PG_HOST"] == "postgres"
        assert env["DAGSTER_PG_PORT"] == "5432" and "5432:5432" in pg["ports"][0]
        assert env["DAGSTER_PG_USER"] == pg_env["POSTGRES_USER"]
        assert env["DAGSTER_PG_PASSWORD"] == pg_env["POSTGRES_PASSWORD"]
        # The forecast data: the same server, the database the image creates first.
        url = env["DATABASE_URL"]
        assert url.startswith("postgresql+psycopg2://")
        assert url.endswith(f"@postgres:5432/{pg_env['POSTGRES_DB']}")
        assert f"{pg_env['POSTGRES_USER']}:{pg_env['POSTGRES_PASSWORD']}@" in url
    init = ROOT / "deploy" / "postgres-init"
    assert "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in pg["volumes"]
    created = re.findall(r"CREATE DATABASE (\w+)", "".join(p.read_text() for p in init.glob("*.sql")))
    assert _env(services["daemon"])["DAGSTER_PG_DB"] in created

    # The artifacts the runs write (user_code) are the ones the webserver links to.
    art = _env(services["user_code"])["FORECAST_ARTIFACTS"]
    assert any(v.endswith(":" + art) for v in code["volumes"])
    assert any(v.split(":")[1] == art for v in services["webserver"]["volumes"])


@pytest.fixture()
def pg_env(monkeypatch):
    for k, v in {
        "DAGSTER_PG_HOST": "postgres",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_USER": "forecast",
        "DAGSTER_PG_PASSWORD": "x",
        "DAGSTER_PG_DB": "dagster",
    }.items():
        monkeypatch.setenv(k, v)


def test_dagster_yaml_passes_dagsters_instance_schema(pg_env):
    from dagster._core.instance.config import dagster_instance_config

    cfg, _ = dagster_instance_config(str(ROOT / "deploy"))
    assert cfg["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert cfg["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    # Backfills are held to fewer slots than there are, so nightly and sensor runs always get one.
    runs = cfg["concurrency"]["runs"]
    backfill = [t for t in runs["tag_concurrency_limits"] if t["key"] == "dagster/backfill"]
    assert backfill and backfill[0]["limit"] < runs["max_concurrent_runs"]


def test_instance_schema_rejects_a_bad_dagster_yaml(tmp_path, pg_env):
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config

    bad = _yaml(ROOT / "deploy" / "dagster.yaml")
    bad["run_coordinator"]["config"] = {"max_concurrent_runs": 3}  # clashes with concurrency.runs
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(tmp_path))


def test_kubernetes_run_launcher_config_passes_dagster_k8s_schema(pg_env):
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster_k8s import K8sRunLauncher

    cfg, _ = dagster_instance_config(str(ROOT / "deploy" / "k8s"))
    launcher = cfg["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = process_config(K8sRunLauncher.config_type(), launcher["config"])
    assert result.success, result.errors
    resources_ = result.value["run_k8s_config"]["container_config"]["resources"]
    assert resources_["requests"]["cpu"] == "2"

    wrong = copy.deepcopy(launcher["config"])
    wrong["job_namspace"] = wrong.pop("job_namespace")  # a typo must not pass silently
    assert not process_config(K8sRunLauncher.config_type(), wrong).success


def test_helm_values_mirror_the_validated_launcher():
    values = _yaml(ROOT / "deploy" / "k8s" / "values.yaml")
    launcher = _yaml(ROOT / "deploy" / "k8s" / "dagster.yaml")["run_launcher"]["config"]
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert k8s["jobNamespace"] == launcher["job_namespace"]
    assert k8s["envVars"] == launcher["env_vars"]
    assert k8s["volumeMounts"] == launcher["volume_mounts"]
    assert k8s["runK8sConfig"]["containerConfig"] == launcher["run_k8s_config"]["container_config"]
    user = values["dagster-user-deployments"]["deployments"][0]
    assert shlex.join(user["dagsterApiGrpcArgs"]) == "-m assets.definitions -a defs"
