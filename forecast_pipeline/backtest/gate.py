"""CI backtest gate: fresh scores on a fast slice must not be worse than the committed reference.

The reference lives in ``tests/backtest/reference_scores.json``; changing it is a deliberate commit.
"""

from __future__ import annotations

import json
from pathlib import Path

GATED_METRICS = ("brier", "rmse_two_party")


def slice_key(cycle: int, office: str, days_before: int) -> str:
    return f"{cycle}-{office}-{days_before}"


def load_reference(path: Path) -> dict:
    ref = json.loads(path.read_text())
    for key in ("tolerance", "settings", "slices"):
        if key not in ref:
            raise ValueError(f"{path}: reference file lacks '{key}'")
    return ref


def compare(current: dict[str, dict], reference: dict) -> list[str]:
    """Return one message per gated score that got worse than reference + tolerance (empty = pass).

    A slice missing from ``current`` fails too: a gate that silently skips is no gate.
    """
    failures = []
    for key, ref_scores in reference["slices"].items():
        now = current.get(key)
        if now is None:
            failures.append(f"{key}: no current scores")
            continue
        for metric in GATED_METRICS:
            limit = ref_scores[metric] + reference["tolerance"][metric]
            if now[metric] > limit:
                failures.append(
                    f"{key}: {metric} {now[metric]:.4f} > reference {ref_scores[metric]:.4f} "
                    f"+ tolerance {reference['tolerance'][metric]}"
                )
    return failures
