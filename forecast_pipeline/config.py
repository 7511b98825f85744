"""Settings from the environment (and CLI flags), in one place.

Nothing here connects to anything; it only says where things are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _default_data_dir() -> Path:
    # A checkout that sits beside the team's shared folder reads the data from there; anyone else
    # runs `forecast-pipeline data fetch`, which fills ./data/raw.
    shared = PROJECT_ROOT.parent / "shared" / "data" / "raw"
    return shared if shared.is_dir() else PROJECT_ROOT / "data" / "raw"


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    pgdata_dir: Path
    artifacts_dir: Path

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(data_dir or env.get("FORECAST_DATA_DIR") or _default_data_dir()).resolve(),
            pgdata_dir=Path(env.get("FORECAST_PGDATA") or PROJECT_ROOT / ".pgdata").resolve(),
            artifacts_dir=Path(env.get("FORECAST_ARTIFACTS") or PROJECT_ROOT / "artifacts").resolve(),
        )


def redact_url(url: str) -> str:
    """A database URL safe to print: the password, if any, is replaced."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is echoed by nobody
        return "<unparseable database url>"
