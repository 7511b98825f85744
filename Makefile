# Two commands on a fresh machine: `make forecast` and `make test`. Both install what they need first.
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY_RUN := $(UV) run --frozen
FORECAST_ARGS ?= --cycle 2020 --office president --as-of 2020-11-02 --json out/forecast-2020-president.json
REPORT_ARGS ?= --cycle 2020 --office president --as-of 2020-11-02 --out out/report-2020-president

.PHONY: install forecast report test test-fast test-faults lint dagster-dev validate-defs clean-db voterfile

install: .venv/.installed

.venv/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || test -x $(UV) || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

forecast: install
	$(PY_RUN) forecast-pipeline run $(FORECAST_ARGS)

report: install
	$(PY_RUN) forecast-pipeline report $(REPORT_ARGS)

voterfile: install
	$(PY_RUN) forecast-pipeline voterfile run --fraction 0.01 --cycle 2004,2012

test: install
	$(PY_RUN) pytest

# Bad inputs, hostile strings and faults (kill -9, database restart, convergence gate); also in `make test`.
test-faults: install
	$(PY_RUN) pytest tests/bad_inputs tests/faults tests/integration/test_security.py

test-fast: install
	$(PY_RUN) pytest -m "not slow"

lint: install
	$(PY_RUN) ruff check .
	$(PY_RUN) ruff format --check .

validate-defs: install
	$(PY_RUN) dagster definitions validate -w dagster_workspace.yaml

dagster-dev: install
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home} sh -c 'mkdir -p $$DAGSTER_HOME && $(PY_RUN) dagster dev -w dagster_workspace.yaml -h 127.0.0.1'

clean-db:
	rm -rf .pgdata
