"""Synthetic inputs shared by the loader tests."""

from __future__ import annotations

import pandas as pd

from forecast_pipeline.loaders.base import RESULT_COLUMNS


def senate_results_frame(*races: tuple) -> pd.DataFrame:
    """RESULT_COLUMNS rows: (cycle, state, class, special, [(candidate, party, votes), ...])."""
    rows = []
    for cycle, state, klass, special, candidates in races:
        for name, party, votes in candidates:
            rows.append(
                {
                    "source": "r.csv",
                    "line_no": len(rows) + 2,
                    "cycle": cycle,
                    "office": "senate",
                    "state": state,
                    "district": pd.NA,
                    "senate_class": klass,
                    "race_id": f"{cycle}-senate-{state}-c{klass}",
                    "special": special,
                    "stage": "general",
                    "candidate": name,
                    "party": party,
                    "votes": votes,
                    "pct": None,
                    "winner": None,
                }
            )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
