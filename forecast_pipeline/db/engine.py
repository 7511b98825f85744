"""SQLAlchemy engines, one per URL and role per process.

Runs use the runtime role (``forecast_runtime``, created by sql/011_runtime_role.sql): every connection
of a runtime engine does ``SET ROLE forecast_runtime`` first, so a run can read and append raw data and
write forecasts but cannot drop or truncate raw tables. Migrations use the owner engine
(``get_engine(..., owner=True)``): the URL's own user. ``FORECAST_DB_ROLE`` names another role, or, set
to an empty string, turns the switch off (for a URL that already logs in as a restricted user).
"""

from __future__ import annotations

import os
from functools import cache

import sqlalchemy as sa

from forecast_pipeline.config import Settings
from forecast_pipeline.db.server import database_url

RUNTIME_ROLE = "forecast_runtime"


def runtime_role() -> str | None:
    role = os.environ.get("FORECAST_DB_ROLE", RUNTIME_ROLE)
    return role or None


@cache
def _engine(url: str, role: str | None) -> sa.Engine:
    engine = sa.create_engine(url, pool_pre_ping=True, future=True)
    if role:
        from psycopg2 import sql

        statement = sql.SQL("SET ROLE {}").format(sql.Identifier(role))

        @sa.event.listens_for(engine, "connect")
        def _set_role(dbapi_connection, _record) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(statement)
            dbapi_connection.commit()

    return engine


def get_engine(settings: Settings | None = None, url: str | None = None, owner: bool = False) -> sa.Engine:
    """The engine for ``url`` (default: the configured database). Runtime role unless ``owner``."""
    return _engine(url or database_url(settings), None if owner else runtime_role())
