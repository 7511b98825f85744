"""Fault-injection points for the fault tests (tests/faults/): a named place in a write path where a test
can hold the process, e.g. inside the publish transaction, to kill it there (kill -9) or to restart the
database under it. Inert unless FORECAST_TEST_PAUSE_AT names the point; never set it in production.

* ``FORECAST_TEST_PAUSE_AT``: the point's name (e.g. ``publish:after_rows``).
* ``FORECAST_TEST_PAUSE_FILE``: written when the point is reached; the point pauses only while this file
  does not exist yet, so a retried step passes through.
* ``FORECAST_TEST_RELEASE_FILE``: the pause ends when this file appears (else after the timeout).
* ``FORECAST_TEST_PAUSE_SECONDS``: the timeout, default 120.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause_point(name: str) -> None:
    if os.environ.get("FORECAST_TEST_PAUSE_AT") != name:
        return
    marker = Path(os.environ["FORECAST_TEST_PAUSE_FILE"])
    if marker.exists():
        return
    marker.write_text(str(os.getpid()))
    release = os.environ.get("FORECAST_TEST_RELEASE_FILE")
    deadline = time.monotonic() + float(os.environ.get("FORECAST_TEST_PAUSE_SECONDS", "120"))
    while time.monotonic() < deadline:
        if release and Path(release).exists():
            return
        time.sleep(0.05)
