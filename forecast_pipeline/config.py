"""Settings from the environment (and CLI flags), in one place.

Nothing here connects to anything; it only says where things are.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _default_data_dir() -> Path:
    # A checkout that sits beside the team's shared folder reads the data from there; anyone else
    # runs `forecast-pipeline data fetch`, which fills ./data/raw.
    shared = PROJECT_ROOT.parent / "shared" / "data" / "raw"
    return shared if shared.is_dir() else PROJECT_ROOT / "data" / "raw"


def _secret_database_url(env: os._Environ | dict) -> str | None:
    """DATABASE_URL, or the contents of the file DATABASE_URL_FILE names (a Docker/Kubernetes secret).
    Credentials come from nowhere else: never from a flag, a config file in the repo or run config."""
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    secret = env.get("DATABASE_URL_FILE")
    if secret:
        try:
            return Path(secret).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise RuntimeError(f"DATABASE_URL_FILE {secret} cannot be read ({exc.strerror})") from None
    return None


@dataclass(frozen=True)
class Settings:
    database_url: str | None = field(repr=False)  # may hold a password: never in repr or logs
    data_dir: Path
    pgdata_dir: Path
    artifacts_dir: Path

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None) -> Settings:
        env = os.environ
        return cls(
            database_url=_secret_database_url(env),
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


_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>[^@\s]+)(?=@)", re.I)
_DSN_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.I)


def scrub_secrets(text: str) -> str:
    """``text`` with every password it could contain masked: the password of the configured database
    URL wherever it appears, and any ``scheme://user:password@`` or ``password=...`` in it."""
    from sqlalchemy.engine import make_url

    secrets = set()
    for url in (_secret_database_url(os.environ),):
        if url:
            try:
                if make_url(url).password:
                    secrets.add(str(make_url(url).password))
            except Exception:  # noqa: BLE001 - unparseable: fall back to the patterns below
                pass
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    return _DSN_PASSWORD.sub(lambda m: m.group("head") + "***", text)
