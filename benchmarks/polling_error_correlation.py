"""How correlated across states were the final polls' misses? The race part of the polling error,
s^2 (w K + (1 - w) I), fitted by maximum likelihood per office on the cycles before each backtest
cycle (``polling_error.fit_race_error``), next to what the model uses (w = 1, s = the RMS race
residual net of sampling variance, "moments").

Usage (from the repo root; needs the loaded database, i.e. after ``make forecast`` or ``data load``)::

    uv run python benchmarks/polling_error_correlation.py
    uv run python benchmarks/polling_error_correlation.py --cycle 2016 --office president

Columns: cycles fitted, races, the pooled national sd b (held fixed), the moment scale, the fitted
w and s, and the log-likelihood gains of the fit over w = 1 (s refitted) and over the model's
(w = 1, moment s); then w fitted with s held at the moment scale.
"""

from __future__ import annotations

import argparse

BACKTESTS = [
    (2008, "president"),
    (2012, "president"),
    (2016, "president"),
    (2020, "president"),
    (2010, "senate"),
    (2012, "senate"),
    (2014, "senate"),
    (2018, "senate"),
    (2020, "senate"),
    (2022, "senate"),
    (2018, "governor"),
    (2022, "governor"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycle", type=int, default=None)
    ap.add_argument("--office", choices=("president", "senate", "governor"), default=None)
    args = ap.parse_args(argv)

    from forecast_pipeline import similarity
    from forecast_pipeline.config import Settings
    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.polling_error import fit_race_error, office_errors, polling_error_scale
    from forecast_pipeline.structure import later_presidential_results

    engine, d = get_engine(), Settings.from_env().data_dir
    rows = [(c, o) for c, o in BACKTESTS if args.cycle in (None, c) and args.office in (None, o)]
    print(
        "| cycle | office | cycles | races | b | moment s | fitted w | fitted s | gain vs w=1 | gain vs model "
        "| w with moment s | its gain vs model |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cycle, office in rows:
        later = later_presidential_results(engine, cycle)
        errs = office_errors(engine, cycle, office)
        sc = polling_error_scale(engine, cycle, office)

        def kernel(c, later=later):
            return similarity.state_correlation_at(d, c, later)

        full = fit_race_error(errs, kernel, sc.national_sd_logit, sc.race_sd_logit)
        fixed = fit_race_error(errs, kernel, sc.national_sd_logit, sc.race_sd_logit, fit_scale=False)
        if full is None:
            print(f"| {cycle} | {office} | fewer than 2 earlier cycles | | | | | | | | | |")
            continue
        n = sum(len(errs[k]) for k in errs)
        print(
            f"| {cycle} | {office} | {min(full.cycles)}-{max(full.cycles)} ({len(full.cycles)}) | {n} "
            f"| {sc.national_sd_logit:.3f} | {sc.race_sd_logit:.3f} | {full.kernel_weight:.2f} | {full.sd_logit:.3f} "
            f"| {full.loglik_gain_vs_kernel_only:.1f} | {full.loglik_gain_vs_moments:.1f} "
            f"| {fixed.kernel_weight:.2f} | {fixed.loglik_gain_vs_moments:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
