"""PNG charts (matplotlib, Agg) returned as bytes, for the HTML report and the Dagster UI."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def p_by_state(table: pd.DataFrame) -> dict[str, float]:
    """P(D win) per state for the map; with two races in a state (a Senate special), the one with more
    polls, then the first by race id."""
    t = table.sort_values(["n_polls", "race_id"], ascending=[False, True]) if "n_polls" in table else table
    t = t[t["district"].isna()] if "district" in t else t
    return {
        str(s): float(p)
        for s, p in t.drop_duplicates("state")[["state", "p_dem_win"]].itertuples(index=False)
    }


def tile_map_png(table: pd.DataFrame, title: str) -> bytes:
    from forecast_pipeline.report.tilegrid import N_COLS, N_ROWS, TILES, probability_colour

    plt = _plt()
    probs = p_by_state(table)
    fig, ax = plt.subplots(figsize=(7.2, 5.0))
    for state, (row, col) in TILES.items():
        p = probs.get(state)
        ax.add_patch(plt.Rectangle((col, N_ROWS - row - 1), 0.94, 0.94, color=probability_colour(p)))
        ink = "white" if p is not None and abs(p - 0.5) > 0.3 else "#222222"
        ax.text(
            col + 0.47,
            N_ROWS - row - 1 + 0.58,
            state,
            ha="center",
            va="center",
            fontsize=8,
            weight="bold",
            color=ink,
        )
        if p is not None:
            ax.text(
                col + 0.47,
                N_ROWS - row - 1 + 0.25,
                f"{100 * p:.0f}%",
                ha="center",
                va="center",
                fontsize=6.5,
                color=ink,
            )
    ax.set_xlim(0, N_COLS)
    ax.set_ylim(0, N_ROWS)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def house_effects_png(idata, top: int = 25) -> bytes | None:
    """Posterior mean and 80% interval of the pollsters' house effects (points of two-party share,
    approximated at 50%: logit / 4), for the pollsters with the largest effects. None when the
    posterior has no house effects."""
    post = idata["posterior"]
    if "house_effect" not in post.data_vars or "pollster" not in post.coords:
        return None
    names = [str(p) for p in post["pollster"].values]
    if not names:  # no polls yet, so no pollsters
        return None
    arr = np.asarray(post["house_effect"].values)
    flat = arr.reshape((-1, arr.shape[-1])) * 25.0  # logit -> points near 50%
    mean = flat.mean(axis=0)
    q10, q90 = np.quantile(flat, (0.1, 0.9), axis=0)
    order = np.argsort(-np.abs(mean))[:top][::-1]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, max(3, 0.24 * len(order) + 1)))
    y = np.arange(len(order))
    ax.hlines(y, q10[order], q90[order], color="0.5")
    ax.plot(mean[order], y, "o", ms=4, color="C0")
    ax.axvline(0, color="k", lw=0.6)
    ax.set_yticks(y, [names[i][:40] for i in order], fontsize=7)
    ax.set_xlabel("house effect, points of Democratic two-party share (mean, 80% interval)")
    ax.set_title(f"House effects: the {len(order)} largest of {len(names)} pollsters", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def distribution_png(dist: pd.DataFrame, xlabel: str, threshold: float | None, title: str) -> bytes:
    """Bar chart of a count distribution (``value``, ``probability``); bars at or above ``threshold``
    in blue, below in red."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3.4))
    colours = ["#1f5fbf" if threshold is None or v >= threshold else "#c92a2a" for v in dist["value"]]
    ax.bar(dist["value"], dist["probability"], width=1.0 if len(dist) > 40 else 0.8, color=colours)
    if threshold is not None:
        ax.axvline(threshold - 0.5, color="k", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of simulations")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def trend_png(trend: pd.DataFrame, races: list[str], title: str) -> bytes:
    """Daily latent support (mean and 80% band) of the given races; ``trend`` has race_id, day, mean,
    q10, q90."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, race in enumerate(races):
        t = trend[trend["race_id"] == race].sort_values("day")
        if t.empty:
            continue
        days = pd.to_datetime(t["day"])
        label = race.split("-", 2)[2] if race.count("-") >= 2 else race
        ax.plot(days, t["mean"], color=f"C{i % 10}", label=label, lw=1.4)
        ax.fill_between(days, t["q10"], t["q90"], color=f"C{i % 10}", alpha=0.12)
    ax.axhline(0.5, color="k", lw=0.5)
    ax.set_ylabel("Democratic two-party share")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=4)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)
