"""Ordered, idempotent migrations from sql/NNN_name.sql, tracked in ops.schema_migrations."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from forecast_pipeline.config import PROJECT_ROOT

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
# Any fixed number works; it only has to be the same in every process that migrates this database.
_LOCK_KEY = 7_311_202_611


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def run_script(conn: sa.Connection, sql: str) -> None:
    """Run a multi-statement SQL script verbatim (no parameter parsing, so '%' is just a character)."""
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(sql)


def sql_dir() -> Path:
    here = PROJECT_ROOT / "sql"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[1] / "_sql"  # installed wheel


def discover(directory: Path | None = None) -> list[Migration]:
    directory = directory or sql_dir()
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"{path}: migration files are named NNN_name.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration numbers in {directory}: {versions}")
    return found


def applied(conn: sa.Connection) -> dict[int, str]:
    rows = conn.execute(sa.text("SELECT version, checksum FROM ops.schema_migrations")).all()
    return {int(v): c for v, c in rows}


def migrate(engine: sa.Engine, directory: Path | None = None) -> list[Migration]:
    """Apply every migration not yet applied, each in its own transaction; return those applied."""
    migrations = discover(directory)
    done: list[Migration] = []
    # A session-level advisory lock belongs to one connection, so everything runs on this one.
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        conn.commit()
        try:
            with conn.begin():
                conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS ops"))
                conn.execute(
                    sa.text(
                        "CREATE TABLE IF NOT EXISTS ops.schema_migrations ("
                        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
                        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                    )
                )
                already = applied(conn)
            for mig in migrations:
                if mig.version in already:
                    if already[mig.version] != mig.checksum:
                        raise MigrationError(
                            f"migration {mig.path.name} was changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                with conn.begin():
                    run_script(conn, mig.sql)
                    conn.execute(
                        sa.text(
                            "INSERT INTO ops.schema_migrations (version, name, checksum) VALUES (:v, :n, :c)"
                        ),
                        {"v": mig.version, "n": mig.name, "c": mig.checksum},
                    )
                done.append(mig)
        finally:
            conn.rollback()
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
    return done
