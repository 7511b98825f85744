"""SQLAlchemy engines, one per URL per process."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from forecast_pipeline.config import Settings
from forecast_pipeline.db.server import database_url


@cache
def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, pool_pre_ping=True, future=True)


def get_engine(settings: Settings | None = None, url: str | None = None) -> sa.Engine:
    return _engine(url or database_url(settings))
