"""Diagnostic artifacts for one fit: a convergence table and PNG plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.models.input import ModelInput


def write_diagnostics(idata, inp: ModelInput, out_dir: Path) -> tuple[pd.DataFrame, dict[str, Path], dict]:
    import arviz as az
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from forecast_pipeline.models.summarize import diagnostics, race_forecasts, trend_table

    out_dir.mkdir(parents=True, exist_ok=True)
    diag = diagnostics(idata)
    summary = az.summary(idata, var_names=["election_day_share"], round_to="none")
    summary = pd.DataFrame(summary)[["mean", "sd", "ess_bulk", "ess_tail", "r_hat"]]
    summary.to_csv(out_dir / "convergence.csv")

    files: dict[str, Path] = {}
    fc = race_forecasts(idata, inp).sort_values("dem_two_party_mean")
    fig, ax = plt.subplots(figsize=(6, max(4, 0.18 * len(fc))))
    y = np.arange(len(fc))
    ax.hlines(y, fc["dem_two_party_q10"], fc["dem_two_party_q90"], color="0.4")
    ax.plot(fc["dem_two_party_mean"], y, "o", ms=3, color="C0")
    ax.axvline(0.5, color="k", lw=0.5)
    ax.set_yticks(y, fc["race_id"].str.split("-").str[2:].str.join("-"), fontsize=6)
    ax.set_xlabel("Democratic two-party share on Election Day (mean, 80% interval)")
    ax.set_title(f"{inp.cycle} {inp.office}, as of {inp.as_of}")
    fig.tight_layout()
    files["forest"] = out_dir / "forest.png"
    fig.savefig(files["forest"], dpi=110)
    plt.close(fig)

    trend = trend_table(idata, inp)
    close = fc.iloc[(fc["dem_two_party_mean"] - 0.5).abs().argsort()[:8]]["race_id"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, race in enumerate(close):
        t = trend[trend["race_id"] == race]
        ax.plot(pd.to_datetime(t["date"]), t["mean"], color=f"C{i}", label=race.split("-", 2)[2])
        ax.fill_between(pd.to_datetime(t["date"]), t["q10"], t["q90"], color=f"C{i}", alpha=0.12)
    ax.axhline(0.5, color="k", lw=0.5)
    ax.set_ylabel("Democratic two-party share")
    ax.set_title("Closest races: latent support with 80% band")
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    files["trend"] = out_dir / "trend.png"
    fig.savefig(files["trend"], dpi=110)
    plt.close(fig)
    return summary, files, diag
