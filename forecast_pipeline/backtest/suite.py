"""Many backtests together: pooled scores, calibration, PIT, and published anchors side by side.

A *run* is the document of ``run.run_backtest`` (one cycle x office with its horizons). Horizons are
keyed by ``str(days_before)`` everywhere so that the suite document survives a JSON round trip.

Pooling (``pool``):

* **Our model**: the race rows of every cycle of an office at the same horizon are concatenated and
  scored afresh with ``metrics.score_races``, so pooled scores are exactly the scores of one big
  forecast (e.g. the pooled Brier is the mean over all races of all cycles).
* **Baselines**: the run documents keep only their score dicts, not their race rows, so they are
  pooled from the per-cycle scores: mean-type scores (brier, log_loss, crps_two_party, mae_margin,
  bias_margin, coverage_*) as n_races-weighted means, ``brier_ev_weighted`` weighted by the cycle's
  total electoral votes (taken from our race rows of the same horizon, which cover the same races;
  n_races when those are missing), ``rmse_two_party`` as the square root of the n_races-weighted mean
  of squares, ``n_races``/``n_correct`` summed. For every score except log loss's clipping and the
  EV fallback this equals scoring the pooled rows. A score missing from some cycles is pooled over the
  cycles that have it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.backtest import anchors
from forecast_pipeline.backtest.metrics import calibration_table, score_races

BASELINES = ("poll_average", "prior", "uniform_swing")
_MEAN_SCORES = (
    "brier",
    "log_loss",
    "crps_two_party",
    "mae_margin",
    "bias_margin",
    "coverage_50",
    "coverage_80",
    "coverage_95",
)
_SUM_SCORES = ("n_races", "n_correct")


# --------------------------------------------------------------------------------------------- helpers


def horizons(run: dict) -> list[dict]:
    """The horizons of a run; a document without ``horizons`` counts as one horizon."""
    if run.get("horizons"):
        return list(run["horizons"])
    from forecast_pipeline.races import election_day

    days = (election_day(int(run["cycle"])) - date.fromisoformat(str(run["as_of"])[:10])).days
    return [{**run, "days_before": days}]


def _key(days_before) -> str:
    return str(int(days_before))


def _races_frame(races: list[dict], cycle=None) -> pd.DataFrame:
    df = pd.DataFrame(list(races))
    if df.empty:
        return df
    for col in (
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
        "actual_dem_two_party",
        "electoral_votes",
    ):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    if cycle is not None:
        df["cycle"] = int(cycle)
    return df


def offices(runs: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["office"] for r in runs))


def horizon_keys(runs: list[dict], office: str) -> list[str]:
    """Horizon keys of an office, farthest from Election Day first."""
    keys = {_key(h["days_before"]) for r in runs if r["office"] == office for h in horizons(r)}
    return sorted(keys, key=lambda k: -int(k))


def pooled_races(runs: list[dict], office: str, days_before) -> pd.DataFrame:
    """All race rows of ``office`` at ``days_before`` over the runs, with a ``cycle`` column."""
    frames = [
        _races_frame(h.get("races") or [], r["cycle"])
        for r in runs
        if r["office"] == office
        for h in horizons(r)
        if _key(h["days_before"]) == _key(days_before)
    ]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _known(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty or "actual_dem_two_party" not in df:
        return df.iloc[0:0]
    return df[df["actual_dem_two_party"].notna()]


def _total_ev(races: list[dict]) -> float | None:
    df = _known(_races_frame(races or []))
    if df.empty or "electoral_votes" not in df or df["electoral_votes"].isna().any():
        return None
    return float(df["electoral_votes"].sum())


def _finite(v) -> bool:
    try:
        return v is not None and not isinstance(v, bool) and np.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def pool_score_dicts(items: list[tuple[dict | None, float | None]]) -> dict:
    """Pool per-cycle score dicts; ``items`` are (scores, total electoral votes or None).

    Sums for n_races/n_correct, root of the weighted mean square for rmse_two_party, EV-weighted mean
    for brier_ev_weighted (n_races-weighted when a cycle's EV total is unknown), n_races-weighted mean
    for every other numeric score. Non-numeric entries are dropped."""
    items = [(s, ev) for s, ev in items if s and s.get("n_races")]
    if not items:
        return {"n_races": 0}
    out: dict = {}
    for name in dict.fromkeys(k for s, _ in items for k in s):
        have = [(s, ev) for s, ev in items if _finite(s.get(name))]
        if not have:
            continue
        vals = np.array([float(s[name]) for s, _ in have])
        n = np.array([float(s["n_races"]) for s, _ in have])
        if name in _SUM_SCORES:
            out[name] = int(vals.sum())
        elif name == "rmse_two_party":
            out[name] = float(np.sqrt(np.sum(n * vals**2) / n.sum()))
        elif name == "brier_ev_weighted":
            evs = [ev for _, ev in have]
            w = np.array(evs, float) if all(ev is not None for ev in evs) else n
            out[name] = float(np.sum(w * vals) / w.sum())
        else:  # _MEAN_SCORES and any other per-race mean
            out[name] = float(np.sum(n * vals) / n.sum())
    return out


# ------------------------------------------------------------------------------------------ public API


def pool(runs: list[dict]) -> dict:
    """``{office: {str(days_before): {"scores", "baselines", "cycles"}}}`` pooled over the runs' cycles
    (see the module docstring for how scores and baselines are pooled)."""
    out: dict = {}
    for office in offices(runs):
        out[office] = {}
        for key in horizon_keys(runs, office):
            hs = [
                (r, h)
                for r in runs
                if r["office"] == office
                for h in horizons(r)
                if _key(h["days_before"]) == key
            ]
            races = pooled_races(runs, office, key)
            scores = score_races(races, office) if not races.empty else {"n_races": 0}
            base = {}
            for name in BASELINES:
                base[name] = pool_score_dicts(
                    [((h.get("baselines") or {}).get(name), _total_ev(h.get("races"))) for _, h in hs]
                )
            out[office][key] = {
                "scores": scores,
                "baselines": base,
                "cycles": sorted({int(r["cycle"]) for r, _ in hs}),
            }
    return out


def calibration(runs: list[dict], office: str, days_before, bins: int = 10) -> list[dict]:
    """Reliability table of the pooled races: P(Dem win) in equal-width bins vs the observed rate of
    Democratic wins (actual two-party share > 0.5). Rows: bin_low, bin_high, n, mean_predicted,
    observed_rate (None for empty bins)."""
    df = _known(pooled_races(runs, office, days_before))
    p = df["p_dem_win"].to_numpy(float) if not df.empty else np.array([])
    y = (df["actual_dem_two_party"].to_numpy(float) > 0.5).astype(float) if not df.empty else np.array([])
    table = calibration_table(p, y, bins)
    recs = []
    for rec in table.to_dict("records"):
        recs.append(
            {
                k: (
                    None
                    if v is None or (isinstance(v, float) and np.isnan(v))
                    else (v.item() if isinstance(v, np.generic) else v)
                )
                for k, v in rec.items()
            }
        )
    return recs


def pit_values(runs: list[dict], office: str, days_before) -> np.ndarray:
    df = _known(pooled_races(runs, office, days_before))
    if df.empty or "pit" not in df:
        return np.array([])
    pit = df["pit"].to_numpy(float)
    return pit[np.isfinite(pit)]


def pit_histogram(runs: list[dict], office: str, days_before, bins: int = 10) -> list[int]:
    """Counts of the pooled PIT values in ``bins`` equal-width bins over [0, 1] (last bin closed).
    A calibrated forecast gives about n / bins in each."""
    counts, _ = np.histogram(pit_values(runs, office, days_before), bins=bins, range=(0.0, 1.0))
    return [int(c) for c in counts]


def _fte_governor(runs: list[dict], data_dir, version: str) -> list[dict]:
    gov = [r for r in runs if r["office"] == "governor"]
    if not gov:
        return []
    if data_dir is None:
        from forecast_pipeline.config import Settings

        data_dir = Settings.from_env().data_dir
    out = []
    for r in gov:
        cycle = int(r["cycle"])
        try:
            fte = anchors.fte_governor_forecasts(data_dir, cycle, version)
        except (FileNotFoundError, ValueError) as exc:
            out.append({"cycle": cycle, "version": None, "scores": None, "note": str(exc)})
            continue
        last = min(horizons(r), key=lambda h: int(h["days_before"]))  # closest to Election Day
        out.append(
            {
                "cycle": cycle,
                "version": fte.attrs["version"],
                "days_before": int(last["days_before"]),
                "scores": anchors.score_fte_on_races(fte, last.get("races") or []),
                "skipped": fte.attrs["skipped"],
                "note": "538 Election-Day forecast scored on our races with a known result, against our results",
            }
        )
    return out


def suite_document(
    runs: list[dict], data_dir: str | Path | None = None, bins: int = 10, fte_version: str = "classic"
) -> dict:
    """Everything the report needs, JSON-serialisable.

    ``calibration`` and ``pit`` are ``{office: {str(days_before): ...}}`` over the pooled races;
    ``anchors`` the published figures (``anchors.PUBLISHED``) for the runs' cycle x office pairs;
    ``fte_governor`` 538's final governor forecast scored on the races of each governor run (empty
    without governor runs; ``data_dir`` defaults to the configured data directory, and a cycle 538 did
    not forecast gets ``scores: None`` with a note).
    """
    pairs = list(dict.fromkeys((int(r["cycle"]), r["office"]) for r in runs))
    cal, pit = {}, {}
    for office in offices(runs):
        cal[office], pit[office] = {}, {}
        for key in horizon_keys(runs, office):
            cal[office][key] = calibration(runs, office, key, bins)
            pit[office][key] = pit_histogram(runs, office, key, bins)
    return {
        "runs": runs,
        "pooled": pool(runs),
        "calibration": cal,
        "pit": pit,
        "anchors": [a for c, o in pairs for a in anchors.published_for(c, o)],
        "fte_governor": _fte_governor(runs, data_dir, fte_version),
    }


# ------------------------------------------------------------------------------------------- the table

_COLS = (
    "cycle",
    "office",
    "days out",
    "forecast",
    "Brier",
    "Brier EV",
    "RMSE 2p",
    "log loss",
    "cov 80",
    "cov 95",
    "correct",
)


def _f(x, digits: int = 4) -> str:
    if x is None:
        return ""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "" if not np.isfinite(x) else f"{x:.{digits}f}"


def _score_cells(s: dict) -> list[str]:
    s = s or {}
    if s.get("n_correct") is not None and s.get("n_races"):
        correct = f"{int(s['n_correct'])}/{int(s['n_races'])}"
    elif s.get("n_correct") is not None:
        correct = str(int(s["n_correct"]))
    else:
        correct = ""
    return [
        _f(s.get("brier")),
        _f(s.get("brier_ev_weighted")),
        _f(s.get("rmse_two_party")),
        _f(s.get("log_loss"), 3),
        _f(s.get("coverage_80"), 2),
        _f(s.get("coverage_95"), 2),
        correct,
    ]


def _md(rows: list[list[str]], cols=_COLS) -> str:
    widths = [max(len(str(c)), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]

    def line(cells) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(cols), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def _published_systems(anchor_rows: list[dict]) -> list[tuple[str, dict, list[str]]]:
    """Group published figures by system: (system, {metric: value}, [notes])."""
    systems: dict[str, tuple[dict, list[str]]] = {}
    for a in anchor_rows:
        vals, notes = systems.setdefault(a["system"], ({}, []))
        vals[a["metric"]] = a["value"]
        if a["note"] not in notes:
            notes.append(a["note"])
    return [(name, vals, notes) for name, (vals, notes) in systems.items()]


def format_table(doc: dict) -> str:
    """Markdown table of the suite: per cycle x office x horizon our scores and the three baselines,
    then the published anchors and 538's governor forecast on the same races (marked ``ED``, the
    Election-Day/final forecast), then the pooled rows. Blank cells: score not available."""
    order = offices(doc.get("runs", []))
    runs = sorted(doc.get("runs", []), key=lambda r: (order.index(r["office"]), int(r["cycle"])))
    notes: list[str] = []

    def footnote(text_list: list[str]) -> str:
        idx = []
        for t in text_list:
            if t not in notes:
                notes.append(t)
            idx.append(str(notes.index(t) + 1))
        return "[" + ",".join(idx) + "]"

    rows: list[list[str]] = []
    for r in runs:
        cycle, office = int(r["cycle"]), r["office"]
        for h in sorted(horizons(r), key=lambda h: -int(h["days_before"])):
            lead = [str(cycle), office, str(int(h["days_before"]))]
            rows.append(lead + ["model"] + _score_cells(h.get("scores")))
            for name in BASELINES:
                b = (h.get("baselines") or {}).get(name)
                if b:
                    rows.append(lead + [f"  baseline {name}"] + _score_cells(b))
        pub = [a for a in doc.get("anchors", []) if a["cycle"] == cycle and a["office"] == office]
        for system, vals, sys_notes in _published_systems(pub):
            rows.append(
                [str(cycle), office, "ED", f"  published: {system} {footnote(sys_notes)}"]
                + _score_cells(vals)
            )
        for fte in doc.get("fte_governor", []):
            if office == "governor" and int(fte["cycle"]) == cycle and fte.get("scores"):
                label = f"  538 {fte['version']} on our races {footnote([fte.get('note', '')])}"
                rows.append([str(cycle), office, "ED", label] + _score_cells(fte["scores"]))

    out = ["Backtest scores by cycle, office and horizon (days before Election Day)", "", _md(rows)]

    pooled_rows: list[list[str]] = []
    for office, by_h in (doc.get("pooled") or {}).items():
        for key in sorted(by_h, key=lambda k: -int(k)):
            entry = by_h[key]
            cyc = entry.get("cycles") or []
            label = "pooled " + ("+".join(str(c) for c in cyc) if cyc else "")
            pooled_rows.append([label, office, key, "model"] + _score_cells(entry.get("scores")))
            for name in BASELINES:
                b = (entry.get("baselines") or {}).get(name)
                if b and b.get("n_races"):
                    pooled_rows.append([label, office, key, f"  baseline {name}"] + _score_cells(b))
    if pooled_rows:
        out += [
            "",
            "Pooled over cycles (model rescored on all races; baselines pooled from per-cycle scores)",
            "",
            _md(pooled_rows),
        ]
    legend = (
        "Brier = mean (p - won)^2 on P(Dem win); Brier EV = electoral-vote weighted; RMSE 2p = RMSE of "
        "the Dem two-party share; cov 80/95 = share of results inside the 80%/95% intervals; correct = "
        "races where P(Dem win) > 0.5 matched the winner. ED = published Election-Day/final forecast."
    )
    out += ["", legend]
    if notes:
        out += ["", "Notes:"] + [f"[{i}] {n}" for i, n in enumerate(notes, 1)]
    return "\n".join(out)
