# Two commands on a fresh machine: `make forecast` and `make test`. Both install what they need first.
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY_RUN := $(UV) run --frozen
FORECAST_ARGS ?= --cycle 2020 --office president --as-of 2020-11-02 --json out/forecast-2020-president.json
REPORT_ARGS ?= --cycle 2020 --office president --as-of 2020-11-02 --out out/report-2020-president

.PHONY: install forecast report test test-fast test-faults lint dagster-dev dev-home validate-defs clean-db voterfile

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

# The Dagster UI on 127.0.0.1:3000, with the instance config of deploy/dev/dagster.yaml (run queue:
# 3 runs, 1 from backfills; pool pymc_fit: 1 slot), the same limits as the docker deployment.
dagster-dev: install dev-home
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home} sh -c '$(PY_RUN) dagster dev -w dagster_workspace.yaml -h 127.0.0.1'

# $DAGSTER_HOME/dagster.yaml from deploy/dev/dagster.yaml. The default ./.dagster_home always gets the
# committed file; a DAGSTER_HOME of your own keeps a dagster.yaml it already has (with a note if it differs).
dev-home:
	@home=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home}; mkdir -p "$$home"; \
	if [ -z "$$DAGSTER_HOME" ] || [ ! -f "$$home/dagster.yaml" ]; then \
		cp deploy/dev/dagster.yaml "$$home/dagster.yaml" && echo "$$home/dagster.yaml: deploy/dev/dagster.yaml"; \
	elif ! cmp -s deploy/dev/dagster.yaml "$$home/dagster.yaml"; then \
		echo "note: keeping $$home/dagster.yaml, which differs from deploy/dev/dagster.yaml (run queue and pool limits)"; \
	fi

clean-db:
	rm -rf .pgdata
