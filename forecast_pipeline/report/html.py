"""The report page: one HTML file with inline CSS, inline SVG and base64 PNGs. Nothing is fetched."""

from __future__ import annotations

import base64
from html import escape

import pandas as pd

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px} h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;font-size:13px}
.topline{display:flex;gap:16px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;min-width:180px}
.card .big{font-size:30px;font-weight:700} .dem{color:#1f5fbf} .rep{color:#c92a2a}
table{border-collapse:collapse;font-size:12.5px;background:#fff} th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
th{background:#f0f0f0} td:first-child,th:first-child{text-align:left}
img{max-width:100%} .note{color:#8a5a00;background:#fff6e0;border:1px solid #f0d9a0;padding:6px 10px;border-radius:6px}
.legend span{display:inline-block;width:18px;height:12px;margin:0 2px;vertical-align:middle}
"""


def _img(png: bytes, alt: str) -> str:
    if not png:
        return f'<p class="note">{escape(alt)}: not available.</p>'
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _table(df: pd.DataFrame, pct: tuple[str, ...] = (), num: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            if v is None or (isinstance(v, float) and pd.isna(v)):
                s = ""
            elif c in pct:
                s = f"{100 * float(v):.1f}%"
            elif c in num:
                s = f"{float(v):.3f}"
            else:
                s = escape(str(v))
            cells.append(f"<td>{s}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _topline_cards(topline: dict, run: dict) -> str:
    if topline["kind"] == "electoral_votes":
        cards = [
            ("Democrat wins", f"{100 * topline['p_dem']:.0f}%", "dem"),
            ("Republican wins", f"{100 * topline['p_rep']:.0f}%", "rep"),
            ("Electoral-college tie", f"{100 * topline['p_tie']:.1f}%", ""),
            (
                "Democratic electoral votes",
                f"{topline['median']:.0f}",
                f"80%: {topline['q10']:.0f}&ndash;{topline['q90']:.0f} of {topline['total']}",
            ),
        ]
    elif topline["kind"] == "senate":
        not_up = topline["seats_not_up"]
        cards = [
            ("Democrats control the Senate", f"{100 * topline['p_control']:.0f}%", "dem"),
            ("Republicans control the Senate", f"{100 * (1 - topline['p_control']):.0f}%", "rep"),
            (
                "50-50 Senate",
                f"{100 * topline['p_tie_50_50']:.1f}%",
                f"tie-break: {escape(topline['vp_rule'])}",
            ),
            (
                "Democratic seats (median)",
                f"{topline['median']:.0f} of 100",
                f"80%: {topline['q10']:.0f}&ndash;{topline['q90']:.0f}; {topline['races']} up, "
                f"{not_up.get('DEM', 0)} D and {not_up.get('REP', 0)} R not up",
            ),
        ]
    else:
        cards = [
            (
                "Democratic wins (median)",
                f"{topline['median']:.0f} of {topline['races']}",
                f"80%: {topline['q10']:.0f}&ndash;{topline['q90']:.0f}",
            ),
            (
                "P(Democrats win most of the races up)",
                f"{100 * topline['p_dem_majority_of_races']:.0f}%",
                "dem",
            ),
        ]
    out = []
    for label, value, extra in cards:
        cls = extra if extra in ("dem", "rep") else ""
        sub = "" if extra in ("dem", "rep", "") else f'<div class="sub">{extra}</div>'
        out.append(
            f'<div class="card"><div class="sub">{escape(label)}</div>'
            f'<div class="big {cls}">{value}</div>{sub}</div>'
        )
    return f'<div class="topline" id="topline">{"".join(out)}</div>'


def render(
    *,
    title: str,
    run: dict,
    table: pd.DataFrame,
    topline: dict,
    dist_png: bytes,
    map_probs: dict[str, float],
    trend_png: bytes,
    why: list[str],
    changes: pd.DataFrame | None,
    new_polls: pd.DataFrame | None,
    scores: pd.DataFrame,
) -> str:
    from forecast_pipeline.report.tilegrid import probability_colour, tile_map_svg

    legend = "".join(
        f'<span style="background:{probability_colour(p)}"></span>' for p in (0, 0.2, 0.4, 0.5, 0.6, 0.8, 1)
    )
    race_cols = [
        "race_id",
        "state",
        "p_dem_win",
        "dem_two_party_mean",
        "dem_two_party_q10",
        "dem_two_party_q90",
        "n_polls",
        "actual_dem_two_party",
    ]
    races = table[race_cols].sort_values("p_dem_win", ascending=False)
    diag = [
        ("model", f"{run['model_type']} {run['model_version']} (config {str(run['config_hash'])[:12]})"),
        ("polls used", run["n_polls"]),
        ("max r-hat", f"{run['max_rhat']:.3f}" if run["max_rhat"] is not None else ""),
        ("min bulk ESS", f"{run['min_ess_bulk']:.0f}" if run["min_ess_bulk"] is not None else ""),
        ("divergences", run["divergences"]),
        ("sampling time", f"{run['sampling_seconds']:.0f} s" if run["sampling_seconds"] is not None else ""),
        ("forecast run id", run["run_id"]),
        ("Dagster run id", run.get("dagster_run_id") or ""),
        *[
            (f"score: {m}", "" if v is None or pd.isna(v) else f"{v:.4f}")
            for m, v in scores.itertuples(index=False)
        ],
    ]
    diag_html = "".join(f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>" for k, v in diag)
    change_html = "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in why) + "</ul>"
    if changes is not None and len(changes):
        ch = changes.head(15)[
            [
                "state",
                "p_dem_win_before",
                "p_dem_win",
                "delta_p_dem_win",
                "new_polls",
                "new_polls_dem_two_party",
            ]
        ]
        change_html += "<h3>Largest moves</h3>" + _table(
            ch, pct=("p_dem_win_before", "p_dem_win", "delta_p_dem_win", "new_polls_dem_two_party")
        )
    if new_polls is not None and len(new_polls):
        np_ = new_polls[
            ["end_date", "state", "pollster", "population", "sample_size", "dem_pct", "rep_pct"]
        ].copy()
        np_["end_date"] = pd.to_datetime(np_["end_date"]).dt.date.astype(str)
        change_html += f"<h3>New polls ({len(np_)})</h3>" + _table(np_.tail(40), num=())
    n_sims = topline.get("n_draws")
    sims_line = f" &middot; {n_sims:,} joint simulations (published)" if n_sims else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{escape(title)}</h1>
<div class="sub">Published {escape(str(run["created_at"]))[:19]} &middot; {run["n_polls"]} polls &middot; model {escape(str(run["model_version"]))}{sims_line}</div>
<section id="summary"><h2>Topline</h2>{_topline_cards(topline, run)}</section>
<section id="distribution"><h2>Distribution</h2>{_img(dist_png, "distribution of outcomes")}</section>
<section id="map"><h2>Map: probability of a Democratic win</h2>
{tile_map_svg(map_probs, title=title)}
<div class="legend sub">Republican {legend} Democratic; grey: no race</div></section>
<section id="trend"><h2>Trend</h2>{_img(trend_png, "trend chart")}</section>
<section id="changes"><h2>What changed since the previous forecast, and why</h2>{change_html}</section>
<section id="races"><h2>Races</h2>{_table(races, pct=("p_dem_win", "dem_two_party_mean", "dem_two_party_q10", "dem_two_party_q90", "actual_dem_two_party"))}</section>
<section id="diagnostics"><h2>Diagnostics</h2><table>{diag_html}</table></section>
<p class="sub">Made by forecast-pipeline. Data: 538/ABC News, The Economist, MEDSL and others (see SOURCES.md).</p>
</main></body></html>
"""
