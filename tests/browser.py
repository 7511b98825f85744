"""Headless Chromium (Debian's `chromium` package) for the tests that look at pages."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("Chromium not found: `apt-get install chromium` (.ci/run installs it)")


def artifacts_dir() -> Path:
    """Where screenshots are kept after the tests: FORECAST_TEST_ARTIFACTS, default ./test-artifacts."""
    path = Path(os.environ.get("FORECAST_TEST_ARTIFACTS") or ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    base = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
    ]
    return subprocess.run(base + args, capture_output=True, text=True, timeout=timeout, check=True)


def offline_flags() -> list[str]:
    # Every request that is not to the page itself fails: a proxy nobody listens on, no DNS.
    return ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]


def dump_dom(url: str, extra: list[str] | None = None, budget_ms: int = 5000) -> str:
    return _run([*(extra or []), f"--virtual-time-budget={budget_ms}", "--dump-dom", url]).stdout


def screenshot(
    url: str, path: Path, size: str = "1100,2600", extra: list[str] | None = None, budget_ms: int = 5000
) -> Path:
    _run(
        [
            *(extra or []),
            f"--window-size={size}",
            f"--virtual-time-budget={budget_ms}",
            f"--screenshot={path}",
            url,
        ]
    )
    return path
