"""Backtest documents into forecast.backtest_* (idempotent: a re-run replaces the same replay)."""

from __future__ import annotations

import sqlalchemy as sa

_RACE_COLS = [
    "race_id",
    "p_dem_win",
    "dem_two_party_mean",
    "q025",
    "q10",
    "q25",
    "q50",
    "q75",
    "q90",
    "q975",
    "crps",
    "pit",
    "n_polls",
    "actual_dem_two_party",
]


def store_backtest(engine: sa.Engine, doc: dict) -> list[int]:
    """Write every horizon of one backtest document in one transaction; return the backtest ids."""
    ids = []
    with engine.begin() as conn:
        for h in doc["horizons"]:
            key = {"c": doc["cycle"], "o": doc["office"], "d": h["as_of"], "h": h["config_hash"]}
            conn.execute(
                sa.text(
                    "DELETE FROM forecast.backtest_runs WHERE cycle = :c AND office = :o "
                    "AND as_of = :d AND config_hash = :h"
                ),
                key,
            )
            d = h["diagnostics"]
            bid = conn.execute(
                sa.text(
                    "INSERT INTO forecast.backtest_runs (cycle, office, as_of, days_before, model_version,"
                    " config_hash, n_polls, max_rhat, min_ess_bulk, divergences, sampling_seconds)"
                    " VALUES (:c, :o, :d, :db, :mv, :h, :n, :rh, :ess, :div, :sec) RETURNING backtest_id"
                ),
                {
                    **key,
                    "db": h["days_before"],
                    "mv": h["model_version"],
                    "n": h["n_polls"],
                    "rh": d["max_rhat"],
                    "ess": d["min_ess_bulk"],
                    "div": int(d["divergences"]),
                    "sec": d["sampling_seconds"],
                },
            ).scalar_one()
            ids.append(int(bid))
            conn.execute(
                sa.text(
                    f"INSERT INTO forecast.backtest_races (backtest_id, {', '.join(_RACE_COLS)}) VALUES "
                    f"(:bid, {', '.join(':' + c for c in _RACE_COLS)})"
                ),
                [{"bid": bid, **{c: r.get(c) for c in _RACE_COLS}} for r in h["races"]],
            )
            rows = [{"bid": bid, "f": "model", "m": m, "v": float(v)} for m, v in h["scores"].items()]
            for name, scores in h["baselines"].items():
                rows += [{"bid": bid, "f": name, "m": m, "v": float(v)} for m, v in scores.items()]
            conn.execute(
                sa.text(
                    "INSERT INTO forecast.backtest_scores (backtest_id, forecaster, metric, value)"
                    " VALUES (:bid, :f, :m, :v)"
                ),
                rows,
            )
        conn.execute(
            sa.text("DELETE FROM forecast.backtest_excluded WHERE cycle = :c AND office = :o"),
            {"c": doc["cycle"], "o": doc["office"]},
        )
        if doc["excluded"]:
            conn.execute(
                sa.text(
                    "INSERT INTO forecast.backtest_excluded (cycle, office, race_id, reason)"
                    " VALUES (:c, :o, :r, :why)"
                ),
                [
                    {"c": doc["cycle"], "o": doc["office"], "r": e["race_id"], "why": e["reason"]}
                    for e in doc["excluded"]
                ],
            )
    return ids
