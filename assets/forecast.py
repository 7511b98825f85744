"""Model path: validated polls -> model input -> posterior -> race forecast table -> diagnostics."""


import dagster as dg
import pandas as pd

from assets.resources import Database, ForecastTarget

OWNERS = ["team:forecasting"]


@dg.asset(
    key=["core", "validated_polls"],
    deps=[dg.AssetKey(["raw", "polls"])],
    group_name="validate",
    kinds={"postgres", "pandera"},
    owners=OWNERS,
)
def validated_polls(context: dg.AssetExecutionContext, database: Database, target: ForecastTarget) -> pd.DataFrame:
    """Polls visible on the as-of date for the target cycle and office, validated by pandera.

    Visible means ended on or before as-of and, where the source says when it was published,
    published on or before as-of. One row per poll (one question chosen per poll).
    """
    from forecast_pipeline.model_input import visible_polls
    from forecast_pipeline.schemas.model_polls import VisiblePolls

    polls = visible_polls(database.engine(), target.cycle, target.office, target.as_of_date())
    validated = VisiblePolls.validate(polls, lazy=True)
    context.add_output_metadata({
        "dagster/row_count": len(validated),
        "latest_end_date": str(validated["end_date"].max().date()) if len(validated) else "none",
        "national_polls": int((validated["state"] == "US").sum()),
    })
    return validated


@dg.asset(key=["model", "input"], group_name="model", kinds={"pandas"}, owners=OWNERS,
          ins={"validated_polls": dg.AssetIn(["core", "validated_polls"])})
def model_input(context: dg.AssetExecutionContext, database: Database, target: ForecastTarget,
                validated_polls: pd.DataFrame):
    """Races (with the previous-election prior) and the polls the model will see."""
    from forecast_pipeline.model_input import build_model_input

    inp = build_model_input(database.engine(), target.cycle, target.office, target.as_of_date(),
                            polls=validated_polls)
    context.add_output_metadata({
        "races": len(inp.races), "polls": len(inp.polls),
        "national_polls": int(inp.polls["is_national"].sum()),
        "imputed_sample_sizes": int(inp.polls["sample_size_imputed"].sum()),
        "election_day": str(inp.election_day),
    })
    return inp


@dg.asset(
    key=["model", "posterior"],
    group_name="model",
    kinds={"pymc", "netcdf"},
    owners=OWNERS,
    io_manager_key="posterior_io",
    ins={"model_input": dg.AssetIn(["model", "input"])},
)
def posterior(context: dg.AssetExecutionContext, target: ForecastTarget, model_input):
    """Posterior of the state poll model (DataTree saved as netCDF, with model version and config hash)."""
    from forecast_pipeline.models.config import PriorConfig
    from forecast_pipeline.models.poll_model import fit
    from forecast_pipeline.models.summarize import diagnostics

    idata = fit(model_input, target.sampler_config(), PriorConfig())
    diag = diagnostics(idata)
    context.add_output_metadata({
        "max_rhat": float(diag["max_rhat"]),
        "min_ess_bulk": float(diag["min_ess_bulk"]),
        "divergences": int(diag["divergences"]),
        "sampling_seconds": float(diag["sampling_seconds"]),
        "sampler": str(idata.attrs.get("sampler")),
        "config_hash": str(idata.attrs.get("config_hash")),
    })
    return idata


@dg.asset_check(asset=["model", "posterior"], blocking=True,
                description="r-hat, bulk ESS and divergences within the gate; a failed fit is stored as "
                            "failed (forecast.runs) with its diagnostics and is not published")
def convergence(context: dg.AssetCheckExecutionContext, target: ForecastTarget, database: Database,
                posterior) -> dg.AssetCheckResult:
    from forecast_pipeline.models.summarize import diagnostics
    from forecast_pipeline.publish import record_failed_run

    diag = diagnostics(posterior)
    problems = []
    if diag["max_rhat"] > target.max_rhat:
        problems.append(f"max r-hat {diag['max_rhat']:.3f} > {target.max_rhat}")
    if diag["min_ess_bulk"] < target.min_ess_bulk:
        problems.append(f"min bulk ESS {diag['min_ess_bulk']:.0f} < {target.min_ess_bulk}")
    if diag["divergences"] > 0:
        problems.append(f"{diag['divergences']} divergent transitions")
    metadata = {k: float(v) for k, v in diag.items()}
    if problems:
        reason = "; ".join(problems)
        run_id = record_failed_run(
            database.engine(), target.cycle, target.office, target.as_of_date(), posterior, reason,
            dagster_run_id=_run_id(context),
            thresholds={"max_rhat": target.max_rhat, "min_ess_bulk": target.min_ess_bulk, "divergences": 0})
        metadata["failed_forecast_run_id"] = run_id
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("NOT PUBLISHED: " + "; ".join(problems)) if problems else "converged",
        metadata=metadata,
    )


def _run_id(context) -> str | None:
    try:
        return context.op_execution_context.run_id
    except Exception:  # noqa: BLE001 - a directly invoked check has no run
        return None


@dg.asset(key=["forecast", "race_forecasts"], group_name="publish", kinds={"postgres", "pandas"}, owners=OWNERS,
          ins={"model_input": dg.AssetIn(["model", "input"]), "posterior": dg.AssetIn(["model", "posterior"])},
          # the write is one transaction and idempotent, so a retry after a lost connection is safe
          retry_policy=dg.RetryPolicy(max_retries=2, delay=5))
def race_forecasts(context: dg.AssetExecutionContext, database: Database, target: ForecastTarget,
                   model_input, posterior) -> pd.DataFrame:
    """Per race: P(Democratic win), mean and 10/50/90% quantiles of the Democratic two-party share,
    the actual result where known; written to forecast.* in one transaction with the run's scores."""
    from forecast_pipeline.publish import build_forecast_table, publish_forecast

    engine = database.engine()
    table, scores = build_forecast_table(engine, model_input, posterior)
    run_id = publish_forecast(engine, model_input, posterior, table, scores, dagster_run_id=context.run_id)
    context.add_output_metadata({
        "dagster/row_count": len(table),
        "forecast_run_id": run_id,
        **{k: float(v) for k, v in scores.items() if v is not None},
        "preview": dg.MetadataValue.md(table.head(60).to_markdown(index=False, floatfmt=".3f")),
    })
    return table


@dg.asset(key=["diagnostics", "convergence_summary"], group_name="diagnostics", kinds={"arviz", "png"},
          owners=OWNERS,
          ins={"model_input": dg.AssetIn(["model", "input"]), "posterior": dg.AssetIn(["model", "posterior"])})
def convergence_summary(context: dg.AssetExecutionContext, target: ForecastTarget, model_input,
                        posterior) -> pd.DataFrame:
    """r-hat, ESS, divergences and sampling time, plus trend and forest plots saved under artifacts/."""
    from forecast_pipeline.config import Settings
    from forecast_pipeline.diagnostics_report import write_diagnostics

    out_dir = Settings.from_env().artifacts_dir / "diagnostics" / f"{target.cycle}-{target.office}-{target.as_of}"
    summary, files, diag = write_diagnostics(posterior, model_input, out_dir)
    context.add_output_metadata({
        **{k: float(v) for k, v in diag.items()},
        "summary": dg.MetadataValue.md(summary.head(30).to_markdown(floatfmt=".3f")),
        **{f"plot_{name}": dg.MetadataValue.path(str(path)) for name, path in files.items()},
    })
    return summary
