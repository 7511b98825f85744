"""Write a backtest suite document (``suite.suite_document``) as ``report.md`` plus three PNG plots.

* ``calibration.png``: pooled reliability curve per office at the horizon closest to Election Day;
  each point is a probability bin (labelled with its race count), the diagonal is perfect calibration.
* ``pit.png``: histogram of the pooled PIT values per office at that horizon, with the count a
  uniform (calibrated) PIT would give per bin.
* ``errors.png``: per race, forecast error of the Dem two-party share (mean - actual, points) with the
  80% interval (q10 - actual .. q90 - actual), one panel per cycle x office, races sorted by error;
  red = result outside the 80% interval.

Plots use matplotlib's object API (``Figure``, rendered by Agg), so no global backend is touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from forecast_pipeline.backtest import suite

DPI = 90


def _final_key(doc: dict, office: str) -> str | None:
    keys = suite.horizon_keys(doc.get("runs", []), office)
    return keys[-1] if keys else None


def _days(key) -> str:
    return "?" if key is None else f"{key} day{'' if str(key) == '1' else 's'} out"


def _num(x, digits: int = 3) -> str:
    if x is None:
        return "–"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "–" if not np.isfinite(x) else f"{x:.{digits}f}"


# ----------------------------------------------------------------------------------------------- plots


def _plot_calibration(doc: dict, path: Path) -> None:
    offs = suite.offices(doc.get("runs", []))
    fig = Figure(figsize=(4.2 * max(1, len(offs)), 4.2))
    axes = fig.subplots(1, max(1, len(offs)), squeeze=False)[0]
    for ax, office in zip(axes, offs or [None], strict=False):
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
        key = _final_key(doc, office) if office else None
        table = (doc.get("calibration", {}).get(office) or {}).get(key) or []
        pts = [r for r in table if r.get("n")]
        if pts:
            x = [r["mean_predicted"] for r in pts]
            y = [r["observed_rate"] for r in pts]
            n = np.array([r["n"] for r in pts], float)
            ax.plot(x, y, color="tab:blue", lw=1)
            ax.scatter(x, y, s=20 + 120 * n / n.max(), color="tab:blue", zorder=3, label="bins (size ~ n)")
            for xi, yi, ni in zip(x, y, n, strict=True):
                ax.annotate(f"{int(ni)}", (xi, yi), textcoords="offset points", xytext=(5, -10), fontsize=8)
        else:
            ax.text(0.5, 0.5, "no scored races", ha="center", va="center", transform=ax.transAxes)
        cyc = _cycles(doc, office, key)
        ax.set_title(f"{office or ''}: {_days(key)} ({cyc})", fontsize=10)
        ax.set_xlabel("forecast P(Dem win)")
        ax.set_ylabel("observed share of Dem wins")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        ax.legend(loc="upper left", fontsize=8, framealpha=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _cycles(doc: dict, office, key) -> str:
    entry = (doc.get("pooled", {}).get(office) or {}).get(key) or {}
    return ", ".join(str(c) for c in entry.get("cycles", [])) or "no runs"


def _plot_pit(doc: dict, path: Path) -> None:
    offs = suite.offices(doc.get("runs", []))
    fig = Figure(figsize=(4.2 * max(1, len(offs)), 3.4))
    axes = fig.subplots(1, max(1, len(offs)), squeeze=False)[0]
    for ax, office in zip(axes, offs or [None], strict=False):
        key = _final_key(doc, office) if office else None
        counts = np.asarray((doc.get("pit", {}).get(office) or {}).get(key) or [], float)
        if counts.size and counts.sum() > 0:
            bins = counts.size
            edges = np.linspace(0, 1, bins + 1)
            ax.bar(
                edges[:-1],
                counts,
                width=1 / bins,
                align="edge",
                color="tab:blue",
                edgecolor="white",
                label="races",
            )
            ax.axhline(counts.sum() / bins, ls="--", color="black", lw=1, label="uniform (calibrated)")
            ax.legend(fontsize=8, framealpha=0.8, loc="best")
        else:
            ax.text(0.5, 0.5, "no PIT values", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlim(0, 1)
        ax.set_title(f"{office or ''}: {_days(key)} ({_cycles(doc, office, key)})", fontsize=10)
        ax.set_xlabel("PIT of the actual Dem two-party share")
        ax.set_ylabel("races")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _final_races(run: dict) -> tuple[list[dict], int]:
    hs = suite.horizons(run)
    h = min(hs, key=lambda h: int(h["days_before"]))
    return h.get("races") or [], int(h["days_before"])


def _plot_errors(doc: dict, path: Path) -> None:
    order = suite.offices(doc.get("runs", []))
    runs = sorted(doc.get("runs", []), key=lambda r: (order.index(r["office"]), int(r["cycle"])))
    panels = []
    for r in runs:
        races, days = _final_races(r)
        df = suite._known(suite._races_frame(races))
        panels.append((r, days, df))
    n_max = max([len(df) for *_, df in panels] + [1])
    ncol = min(3, max(1, len(panels)))
    nrow = max(1, int(np.ceil(len(panels) / ncol)))
    fig = Figure(figsize=(4.0 * ncol, nrow * (1.2 + 0.15 * min(n_max, 80))))
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if not panels:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "no runs", ha="center", va="center", transform=axes[0].transAxes)
    for ax, (r, days, df) in zip(axes, panels, strict=False):
        ax.set_title(f"{r['cycle']} {r['office']}, {_days(days)}", fontsize=10)
        ax.axvline(0, color="grey", lw=1)
        ax.set_xlabel("forecast - actual, Dem two-party share (points)")
        if df.empty:
            ax.text(0.5, 0.5, "no scored races", ha="center", va="center", transform=ax.transAxes)
            continue
        a = df["actual_dem_two_party"].to_numpy(float)
        err = 100 * (df["dem_two_party_mean"].to_numpy(float) - a)
        lo = 100 * (df["q10"].to_numpy(float) - a)
        hi = 100 * (df["q90"].to_numpy(float) - a)
        order = np.argsort(err)
        y = np.arange(len(order))
        covered = (lo <= 0) & (hi >= 0)
        for mask, colour, label in (
            (covered, "tab:blue", "80% interval covers result"),
            (~covered, "tab:red", "result outside 80% interval"),
        ):
            m = mask[order]
            if m.any():
                ax.errorbar(
                    err[order][m],
                    y[m],
                    xerr=[(err - lo)[order][m], (hi - err)[order][m]],
                    fmt="o",
                    ms=3,
                    lw=1,
                    color=colour,
                    label=label,
                )
        labels = [_race_label(rec) for rec in df.to_dict("records")]
        if len(order) <= 80:
            ax.set_yticks(y, [labels[i] for i in order], fontsize=7)
        ax.set_ylim(-1, len(order))
        ax.legend(fontsize=7, framealpha=0.8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)


def _race_label(rec: dict) -> str:
    state = rec.get("state") or str(rec.get("race_id", "?")).split("-")[-1]
    d = rec.get("district")
    if d is not None and not (isinstance(d, float) and np.isnan(d)):
        return f"{state}-{int(d)}"
    return str(state)


# ---------------------------------------------------------------------------------------------- report


def _md_table(cols: list[str], rows: list[list[str]]) -> str:
    return "\n".join(
        [
            "| " + " | ".join(cols) + " |",
            "|" + "|".join("---" for _ in cols) + "|",
            *("| " + " | ".join(str(c) for c in r) + " |" for r in rows),
        ]
    )


def _calibration_section(doc: dict) -> list[str]:
    out = [
        "## Calibration (pooled over cycles)",
        "",
        "P(Dem win) in equal-width bins against the observed share of Democratic wins.",
        "",
    ]
    for office, by_h in (doc.get("calibration") or {}).items():
        for key in sorted(by_h, key=lambda k: -int(k)):
            rows = [
                [
                    f"{r['bin_low']:.1f}–{r['bin_high']:.1f}",
                    r["n"],
                    _num(r.get("mean_predicted")),
                    _num(r.get("observed_rate")),
                ]
                for r in by_h[key]
            ]
            out += [
                f"### {office}, {_days(key)} ({_cycles(doc, office, key)})",
                "",
                _md_table(["bin", "n", "mean predicted", "observed rate"], rows),
                "",
            ]
    return out


def _pit_section(doc: dict) -> list[str]:
    out = [
        "## PIT histogram (pooled over cycles)",
        "",
        "Counts of the PIT of each actual two-party share under its forecast distribution; a calibrated "
        "forecast gives about n/bins per bin, excess at the ends means intervals too narrow.",
        "",
    ]
    for office, by_h in (doc.get("pit") or {}).items():
        for key in sorted(by_h, key=lambda k: -int(k)):
            counts = by_h[key]
            bins, n = len(counts), sum(counts)
            cols = [f"{i / bins:.1f}–{(i + 1) / bins:.1f}" for i in range(bins)]
            out += [
                f"### {office}, {_days(key)}: n = {n}, uniform = {n / bins:.1f} per bin"
                if bins
                else f"### {office}, {_days(key)}: no PIT values",
                "",
            ]
            if bins:
                out += [_md_table(cols, [counts]), ""]
    return out


def _fte_section(doc: dict) -> list[str]:
    fte = doc.get("fte_governor") or []
    if not fte:
        return []
    rows = []
    for f in fte:
        s = f.get("scores") or {}
        rows.append(
            [
                f["cycle"],
                f.get("version") or "–",
                _num(s.get("brier"), 4),
                _num(s.get("rmse_two_party"), 4),
                _num(s.get("log_loss"), 3),
                f"{s.get('n_correct', '–')}/{s.get('n_races', '–')}" if s else "–",
                ", ".join(s.get("unmatched", [])) or "–",
                f.get("note", ""),
            ]
        )
    return [
        "## 538 governor forecasts on our races",
        "",
        _md_table(
            [
                "cycle",
                "538 version",
                "Brier",
                "RMSE 2p",
                "log loss",
                "correct",
                "not forecast by 538",
                "note",
            ],
            rows,
        ),
        "",
    ]


def _excluded_section(doc: dict) -> list[str]:
    out = ["## Excluded races", ""]
    rows = [
        [r["cycle"], r["office"], e.get("race_id", "?"), e.get("reason", "")]
        for r in doc.get("runs", [])
        for e in (r.get("excluded") or [])
    ]
    out += [_md_table(["cycle", "office", "race", "reason"], rows) if rows else "None.", ""]
    return out


def _diagnostics_section(doc: dict) -> list[str]:
    rows = []
    for r in sorted(doc.get("runs", []), key=lambda r: (r["office"], int(r["cycle"]))):
        for h in sorted(suite.horizons(r), key=lambda h: -int(h["days_before"])):
            d = h.get("diagnostics") or {}
            rows.append(
                [
                    r["cycle"],
                    r["office"],
                    h["days_before"],
                    h.get("as_of", "–"),
                    h.get("n_polls", "–"),
                    _num(d.get("max_rhat"), 3),
                    _num(d.get("min_ess_bulk"), 0),
                    d.get("divergences", "–"),
                    _num(d.get("sampling_seconds"), 0),
                    h.get("model_version") or r.get("model_version") or "–",
                ]
            )
    return [
        "## Sampler diagnostics",
        "",
        _md_table(
            [
                "cycle",
                "office",
                "days out",
                "as of",
                "polls",
                "max r-hat",
                "min ESS (bulk)",
                "divergences",
                "sampling s",
                "model version",
            ],
            rows,
        )
        if rows
        else "No runs.",
        "",
    ]


def write_report(doc: dict, out_dir: str | Path) -> Path:
    """Write ``report.md``, ``calibration.png``, ``pit.png`` and ``errors.png`` into ``out_dir``;
    return the path of report.md."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _plot_calibration(doc, out / "calibration.png")
    _plot_pit(doc, out / "pit.png")
    _plot_errors(doc, out / "errors.png")
    lines = [
        "# Backtest report",
        "",
        "Plots: [calibration](calibration.png) · [PIT histogram](pit.png) · [race errors](errors.png)",
        "",
        "## Scores",
        "",
        suite.format_table(doc),
        "",
    ]
    lines += _calibration_section(doc)
    lines += ["![calibration](calibration.png)", ""]
    lines += _pit_section(doc)
    lines += ["![PIT histogram](pit.png)", ""]
    lines += _fte_section(doc)
    lines += [
        "## Race errors",
        "",
        "Forecast minus actual Dem two-party share with 80% intervals, horizon "
        "closest to Election Day, one panel per cycle x office.",
        "",
        "![race errors](errors.png)",
        "",
    ]
    lines += _excluded_section(doc)
    lines += _diagnostics_section(doc)
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
