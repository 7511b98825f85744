"""Published accuracy figures of other forecasters, to show beside our backtest scores.

``PUBLISHED`` transcribes the state-level figures of ``/work/shared/ANCHORS.md`` section (b) that
are comparable with our score names (``metrics.score_races``): one dict per figure with ``source``
(where ANCHORS.md took it from), ``system``, ``cycle``, ``office``, ``metric``, ``value`` and
``note`` (which subsection of ANCHORS.md (b), and any caveat about comparability).

Caveats carried in the notes:

* The Economist 2008/2012/2016 numbers are retrospective fits (hyperparameters chosen in 2020, the
  2016 result leaks into the 2016 correlation matrix), not live forecasts.
* Figures marked *[computed]* in ANCHORS.md were computed by the ANCHORS author from public data,
  not published by the forecaster.
* 538's 2020 ``coverage_80`` is the coverage of its 80% intervals on the **margin**, not on the
  two-party share as in our ``coverage_80``; margin MAE/RMSE/bias in ANCHORS b1 are Trump - Biden
  as % of the total vote, not our two-party margin, so they are not transcribed.
* The 538 governor Briers are per race (1 - p_winner)^2 on the Election-Day forecast, computed from
  ``governors_elections.csv``; this equals the Democrat-vs-Republican Brier unless a third candidate
  carries probability or wins (2010 Rhode Island, won by an independent).

``fte_governor_forecasts`` reads 538's final governor forecasts from that file so that the suite can
score 538 on exactly the races of our governor backtests (``score_fte_on_races``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.backtest.metrics import brier, log_loss

FTE_GOVERNORS_FILE = Path("fivethirtyeight-checking-our-work-data") / "governors_elections.csv"
UNLABELLED_VERSION = "unlabelled"  # 2010: one model, forecast_type empty in the file

_ECON_README = "TheEconomist/us-potus-model README.md"
_ECON_NOTE = (
    "ANCHORS.md (b) b1; retrospective backtest fit in 2020 (not a live forecast); 51 units (50 states + DC)"
)
_FTE20_SRC = (
    "538 presidential_state_toplines_2020_nov2.csv (modeldate 11/3/2020) + certified results; "
    "Brier also mickbransfield.com 2021-12-29"
)
_FTE20_NOTE = "ANCHORS.md (b) b1; 538 final 2020 forecast (11/3), 50 states + DC, districts dropped"
_GOV_SRC = "fivethirtyeight/checking-our-work-data governors_elections.csv"
_GOV_NOTE = "ANCHORS.md (b) b3; [computed] Election-Day forecast, Brier per race = (1 - p_winner)^2"


def _rows(source: str, system: str, cycle: int, office: str, note: str, **metrics) -> list[dict]:
    return [
        {
            "source": source,
            "system": system,
            "cycle": cycle,
            "office": office,
            "metric": m,
            "value": v,
            "note": note,
        }
        for m, v in metrics.items()
    ]


PUBLISHED: list[dict] = [
    *_rows(
        _ECON_README,
        "Economist backtest",
        2008,
        "president",
        _ECON_NOTE,
        brier=0.0290,
        brier_ev_weighted=0.0322,
        rmse_two_party=0.0232,
        n_correct=49,
        n_races=51,
    ),
    *_rows(
        _ECON_README,
        "Economist backtest",
        2012,
        "president",
        _ECON_NOTE,
        brier=0.0193,
        brier_ev_weighted=0.0324,
        rmse_two_party=0.0225,
        n_correct=50,
        n_races=51,
    ),
    *_rows(
        _ECON_README,
        "Economist backtest",
        2016,
        "president",
        _ECON_NOTE,
        brier=0.0508,
        brier_ev_weighted=0.0726,
        rmse_two_party=0.0272,
        n_correct=48,
        n_races=51,
    ),
    *_rows(
        _FTE20_SRC,
        "538 (final)",
        2020,
        "president",
        _FTE20_NOTE + "; Brier published by mickbransfield.com and recomputed in ANCHORS",
        brier=0.0359,
        n_correct=49,
        n_races=51,
    ),
    *_rows(
        _FTE20_SRC,
        "538 (final)",
        2020,
        "president",
        _FTE20_NOTE + "; [computed] by the ANCHORS author (EV-weighted Brier; two-party RMSE = D/(D+R); "
        "log loss natural log, p clipped to [1e-4, 1-1e-4])",
        brier_ev_weighted=0.0656,
        rmse_two_party=0.0277,
        log_loss=0.126,
    ),
    *_rows(
        _FTE20_SRC,
        "538 (final)",
        2020,
        "president",
        _FTE20_NOTE + "; [computed] coverage of 538's 80% intervals on the MARGIN (47/51), "
        "not on the two-party share as our coverage_80",
        coverage_80=0.92,
    ),
    *_rows(
        "mickbransfield.com 2021-12-29",
        "Economist (final)",
        2020,
        "president",
        "ANCHORS.md (b) b1; third-party calculation on the Economist's final 11/2-3 forecast",
        brier=0.0368,
        n_correct=49,
        n_races=51,
    ),
    *_rows(
        "538 presidential_poll_averages_2020_nov2.csv (11/3/2020) + certified results",
        "538 raw polling average",
        2020,
        "president",
        "ANCHORS.md (b) b1; [computed] baseline: 538's unadjusted state polling average on 11/3, "
        "two-party RMSE = D/(D+R); n_correct = states where the polling leader won",
        rmse_two_party=0.0346,
        n_correct=49,
        n_races=51,
    ),
    *_rows(
        _GOV_SRC,
        "538",
        2010,
        "governor",
        _GOV_NOTE + "; 37 races; one (unlabelled) model version",
        brier=0.036,
        n_races=37,
    ),
    *_rows(_GOV_SRC, "538 Lite", 2018, "governor", _GOV_NOTE + "; 36 races", brier=0.079, n_races=36),
    *_rows(_GOV_SRC, "538 Classic", 2018, "governor", _GOV_NOTE + "; 36 races", brier=0.070, n_races=36),
    *_rows(_GOV_SRC, "538 Deluxe", 2018, "governor", _GOV_NOTE + "; 36 races", brier=0.068, n_races=36),
    *_rows(_GOV_SRC, "538 Lite", 2022, "governor", _GOV_NOTE + "; 36 races", brier=0.033, n_races=36),
    *_rows(_GOV_SRC, "538 Classic", 2022, "governor", _GOV_NOTE + "; 36 races", brier=0.030, n_races=36),
    *_rows(_GOV_SRC, "538 Deluxe", 2022, "governor", _GOV_NOTE + "; 36 races", brier=0.035, n_races=36),
]


def published_for(cycle: int, office: str) -> list[dict]:
    """The published figures for one cycle x office (copies, in PUBLISHED order)."""
    return [dict(p) for p in PUBLISHED if p["cycle"] == int(cycle) and p["office"] == office]


def _governors_path(data_dir: str | Path) -> Path:
    """``data_dir`` may be the raw data directory, its parent, the 538 folder or the file itself."""
    d = Path(data_dir)
    for cand in (d, d / FTE_GOVERNORS_FILE, d / "raw" / FTE_GOVERNORS_FILE, d / FTE_GOVERNORS_FILE.name):
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"{FTE_GOVERNORS_FILE} not found under {d}")


def _two_party(d: float, r: float) -> float:
    return float(d / (d + r)) if np.isfinite(d) and np.isfinite(r) and d + r > 0 else float("nan")


def fte_governor_forecasts(data_dir: str | Path, cycle: int, version: str = "classic") -> pd.DataFrame:
    """538's final (Election-Day) governor forecast of ``cycle``, one row per race.

    Columns: ``state``, ``special``, ``p_dem_win`` (probwin of the D row), ``dem_two_party_projected``
    (D / (D + R) of projected_voteshare), ``actual_dem_two_party`` (D / (D + R) of actual_voteshare;
    NaN for 2010 and 2018, whose rows carry no actual vote shares), plus ``dem_won`` (probwin_outcome of
    the D row), ``p_winner`` and ``winner_party`` (for the (1 - p_winner)^2 Brier of ANCHORS b3) and
    ``version``.

    ``version`` is one of lite / classic / deluxe (2018, 2022). When the cycle has a single version
    (2010: unlabelled) that one is used whatever was asked. The version used is in the ``version``
    column and ``df.attrs["version"]``; races without both a D and an R row are skipped and listed in
    ``df.attrs["skipped"]`` as ``{"state", "special", "reason"}``. Where a race has two rows of the same
    party the one with the larger probwin is used (none in the file as of this writing).
    """
    raw = pd.read_csv(_governors_path(data_dir))
    raw = raw[(raw["year"] == int(cycle)) & (raw["forecast_date"] == raw["election_date"])].copy()
    if raw.empty:
        raise ValueError(f"no 538 Election-Day governor forecast for {cycle} in {FTE_GOVERNORS_FILE}")
    raw["forecast_type"] = raw["forecast_type"].fillna(UNLABELLED_VERSION).astype(str)
    versions = sorted(raw["forecast_type"].unique())
    if version in versions:
        used = version
    elif len(versions) == 1:
        used = versions[0]
    else:
        raise ValueError(f"538 {cycle} governor forecast has versions {versions}, not {version!r}")
    f = raw[raw["forecast_type"] == used].copy()
    f["special"] = f["special"].map(lambda v: str(v).strip().lower() == "true")

    rows, skipped = [], []
    for (state, special), g in f.groupby(["state", "special"], sort=True):
        d = g[g["party"] == "D"].sort_values("probwin", ascending=False)
        r = g[g["party"] == "R"].sort_values("probwin", ascending=False)
        if d.empty or r.empty:
            missing = "D" if d.empty else "R"
            skipped.append(
                {
                    "state": state,
                    "special": bool(special),
                    "reason": f"no {missing} candidate in 538's forecast",
                }
            )
            continue
        d0, r0 = d.iloc[0], r.iloc[0]
        winners = g[g["probwin_outcome"] == 1]
        rows.append(
            {
                "state": state,
                "special": bool(special),
                "p_dem_win": float(d0["probwin"]),
                "dem_two_party_projected": _two_party(d0["projected_voteshare"], r0["projected_voteshare"]),
                "actual_dem_two_party": _two_party(d0["actual_voteshare"], r0["actual_voteshare"]),
                "dem_won": int(d0["probwin_outcome"]),
                "p_winner": float(winners["probwin"].iloc[0]) if len(winners) else float("nan"),
                "winner_party": str(winners["party"].iloc[0]) if len(winners) else None,
                "version": used,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["cycle"] = int(cycle)
    out.attrs["version"] = used
    out.attrs["skipped"] = skipped
    return out


def _race_state(race: dict) -> str:
    return race.get("state") or str(race["race_id"]).split("-")[2]


def score_fte_on_races(fte_df: pd.DataFrame, our_races: list[dict]) -> dict:
    """Score 538's forecast on exactly the races of our backtest that have a known result.

    Races are matched on state (our governor race_id is ``{cycle}-governor-{ST}``), using 538's
    regular (non-special) race, or its special one where the state has only a special. The outcome is
    OURS (``actual_dem_two_party > 0.5``), so the two forecasts are scored against the same truth;
    ``outcome_disagreements`` counts races where 538's own ``dem_won`` differs (should be 0).
    ``rmse_two_party`` compares 538's projected two-party share with our actual share, over the races
    where 538 projected vote shares (None when it published none, as in 2010). Returns brier, log_loss, rmse_two_party, n_races, n_correct,
    ``unmatched`` (our race_ids 538 did not forecast) and ``version``.
    """
    by_state: dict[str, pd.Series] = {}
    if not fte_df.empty:
        for _, row in fte_df.sort_values("special", ascending=False).iterrows():
            by_state[row["state"]] = row  # regular rows come last and win
    p, y, proj, actual, unmatched, disagree = [], [], [], [], [], 0
    for race in our_races:
        a = race.get("actual_dem_two_party")
        if a is None or not np.isfinite(float(a)):
            continue
        row = by_state.get(_race_state(race))
        if row is None:
            unmatched.append(race["race_id"])
            continue
        outcome = float(float(a) > 0.5)
        p.append(float(row["p_dem_win"]))
        y.append(outcome)
        proj.append(float(row["dem_two_party_projected"]))
        actual.append(float(a))
        disagree += int(int(row["dem_won"]) != int(outcome))
    version = fte_df.attrs.get("version") or (str(fte_df["version"].iloc[0]) if len(fte_df) else None)
    if not p:
        return {"n_races": 0, "n_correct": 0, "unmatched": unmatched, "version": version}
    p_a, y_a, proj_a, act_a = map(np.asarray, (p, y, proj, actual))
    ok = np.isfinite(proj_a)
    return {
        "brier": brier(p_a, y_a),
        "log_loss": log_loss(p_a, y_a),
        "rmse_two_party": float(np.sqrt(np.mean((proj_a[ok] - act_a[ok]) ** 2))) if ok.any() else None,
        "n_races": int(len(p_a)),
        "n_correct": int(np.sum((p_a > 0.5) == (y_a == 1))),
        "outcome_disagreements": int(disagree),
        "unmatched": unmatched,
        "version": version,
    }
