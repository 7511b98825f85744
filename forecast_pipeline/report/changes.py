"""What changed between two published forecasts of the same cycle and office, and why."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa


def previous_run(engine: sa.Engine, run: dict) -> dict | None:
    """The forecast made before ``run`` for the same cycle and office: the latest earlier as-of date, or
    an earlier fit of the same date (a re-run), whichever came last."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.text(
                    "SELECT * FROM forecast.runs WHERE cycle = :c AND office = :o AND run_id <> :r "
                    "AND (as_of < :d OR (as_of = :d AND run_id < :r)) AND status IN ('published', 'superseded') "
                    "ORDER BY as_of DESC, run_id DESC LIMIT 1"
                ),
                {"c": run["cycle"], "o": run["office"], "d": run["as_of"], "r": run["run_id"]},
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def new_polls(engine: sa.Engine, cycle: int, office: str, before: date, now: date) -> pd.DataFrame:
    """Polls visible on ``now`` that were not visible on ``before`` (ended or were published since)."""
    from forecast_pipeline.model_input import visible_polls

    cur = visible_polls(engine, cycle, office, now)
    prev = visible_polls(engine, cycle, office, before)
    out = cur[~cur["poll_id"].isin(prev["poll_id"])].copy()
    out["dem_two_party"] = out["dem_pct"] / (out["dem_pct"] + out["rep_pct"])
    return out.sort_values(["end_date", "state"]).reset_index(drop=True)


def race_changes(table: pd.DataFrame, prev_table: pd.DataFrame, polls: pd.DataFrame) -> pd.DataFrame:
    """Per race: P(D win) and mean share now and before, the change, the number of new polls in the race
    and their average Democratic two-party share. Sorted by the size of the change in P(D win)."""
    cols = ["race_id", "state", "p_dem_win", "dem_two_party_mean"]
    m = table[cols].merge(
        prev_table[["race_id", "p_dem_win", "dem_two_party_mean"]],
        on="race_id",
        how="left",
        suffixes=("", "_before"),
    )
    m["delta_p_dem_win"] = m["p_dem_win"] - m["p_dem_win_before"]
    m["delta_mean"] = m["dem_two_party_mean"] - m["dem_two_party_mean_before"]
    own = polls[polls["state"] != "US"].groupby("race_id")["dem_two_party"].agg(["size", "mean"])
    m["new_polls"] = m["race_id"].map(own["size"]).fillna(0).astype(int)
    m["new_polls_dem_two_party"] = m["race_id"].map(own["mean"])
    return m.reindex(m["delta_p_dem_win"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def explain(
    run: dict, prev: dict | None, changes: pd.DataFrame | None, polls: pd.DataFrame | None
) -> list[str]:
    """Plain sentences: what moved and what came in."""
    if prev is None:
        return ["This is the first forecast of this cycle and office: there is nothing to compare with."]
    lines = [f"Compared with the forecast as of {prev['as_of']} (run {prev['run_id']})."]
    if prev["model_version"] != run["model_version"] or prev["config_hash"] != run["config_hash"]:
        lines.append(
            f"The model changed: version {prev['model_version']} -> {run['model_version']}, "
            f"configuration {prev['config_hash'][:10]} -> {run['config_hash'][:10]}."
        )
    n_new = 0 if polls is None else len(polls)
    n_nat = 0 if polls is None else int((polls["state"] == "US").sum())
    lines.append(f"{n_new} new poll(s) since then ({n_nat} national).")
    if changes is not None and len(changes):
        moved = changes[changes["delta_p_dem_win"].abs() >= 0.02].head(5)
        for r in moved.itertuples():
            why = (
                f"{r.new_polls} new poll(s) there averaging {100 * r.new_polls_dem_two_party:.1f}% D "
                f"against a previous mean of {100 * r.dem_two_party_mean_before:.1f}%"
                if r.new_polls
                else "no new poll there: the move comes from national polls and shared swing"
            )
            lines.append(
                f"{r.state}: P(D win) {100 * r.p_dem_win_before:.0f}% -> {100 * r.p_dem_win:.0f}% ({why})."
            )
        if moved.empty:
            lines.append("No race moved by 2 points of win probability or more.")
    return lines
