# One image for the code server, the webserver and the daemon (docker-compose.yml) and for run pods
# (Kubernetes: deploy/k8s/). Dependencies come from uv.lock.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PYTENSOR_FLAGS=base_compiledir=/opt/dagster/pytensor \
    PATH=/opt/dagster/app/.venv/bin:$PATH

RUN pip install --no-cache-dir uv \
 && mkdir -p /opt/dagster/dagster_home /opt/dagster/artifacts /opt/dagster/pytensor /data/raw

WORKDIR /opt/dagster/app
# Dependencies first (cached while only the code changes)
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY forecast_pipeline ./forecast_pipeline
COPY assets ./assets
COPY sql ./sql
COPY deploy ./deploy
COPY dagster_workspace.yaml ./
RUN uv sync --frozen --no-dev \
 && cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"

EXPOSE 3000 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "assets.definitions", "-a", "defs"]
