"""Shared fixtures: a real PostgreSQL for the session, and the real data directory.

With DATABASE_URL set the tests create (and drop) a database of their own on that server; without it
they start an embedded PostgreSQL in a temporary directory. Nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from forecast_pipeline.config import PROJECT_ROOT

DATA_DIR = Path(os.environ.get("FORECAST_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data" / "raw")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.is_dir():
        pytest.fail(
            f"data directory {DATA_DIR} not found: set FORECAST_DATA_DIR or run `forecast-pipeline data fetch`"
        )
    return DATA_DIR


@pytest.fixture(scope="session")
def database_url() -> str:
    from forecast_pipeline.db.server import embedded_url, normalise_url, stop_embedded

    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        # Not under pytest's basetemp: the server runs as a separate system user, and every pytest
        # session resets pytest-of-root to mode 0700, which would lock a running server out.
        pgdata = Path(tempfile.mkdtemp(prefix="forecast-test-pg-"))
        yield embedded_url(pgdata / "data")
        stop_embedded(pgdata / "data")
        shutil.rmtree(pgdata, ignore_errors=True)
        return
    # A database of our own on the user's server, so tests never touch their data.
    admin = sa.create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    name = f"forecast_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(normalise_url(server_url)).set(database=name)
    yield url.render_as_string(hide_password=False)
    sa.create_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def engine(database_url) -> sa.Engine:
    from forecast_pipeline.db.migrate import migrate

    eng = sa.create_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def loaded(engine, data_dir):
    """Every known file loaded once for the session; returns the load reports."""
    from forecast_pipeline.ingest import load_files

    return load_files(engine, data_dir)


@pytest.fixture()
def empty_engine(engine) -> sa.Engine:
    """A new, empty database on the session's server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    eng = sa.create_engine(engine.url.set(database=name))
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def fresh_engine(empty_engine) -> sa.Engine:
    """An empty, migrated database of its own, for tests that change data."""
    from forecast_pipeline.db.migrate import migrate

    migrate(empty_engine)
    return empty_engine
