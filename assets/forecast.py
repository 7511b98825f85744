"""Model path: validated polls -> model input -> posterior -> race forecast table -> diagnostics -> report.

The assets are built by :func:`build_forecast_assets`. The code location builds them partitioned by
as-of date x office (``assets.partitions``): the forecast an asset computes comes from its partition.
``forecast-pipeline run`` builds the same assets unpartitioned and takes the forecast from the
``target`` resource, so one forecast can be made in process without a Dagster instance.
"""

import warnings

import dagster as dg
import pandas as pd

from assets.metadata import png_md
from assets.partitions import FORECAST_PARTITIONS, forecast_for
from assets.resources import Database, ForecastTarget

OWNERS = ["team:forecasting"]

# Partitioned asset checks are "preview" in Dagster 1.13; without them a check on a partitioned asset
# would load every partition of its asset instead of the run's own.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")


def build_forecast_assets(partitions_def: dg.PartitionsDefinition | None = None):
    """(assets, checks) of the forecast path, partitioned by ``partitions_def`` (or not at all)."""

    @dg.asset(
        key=["core", "validated_polls"],
        deps=[dg.AssetKey(["raw", "polls"])],
        partitions_def=partitions_def,
        group_name="validate",
        kinds={"postgres", "pandera"},
        owners=OWNERS,
    )
    def validated_polls(
        context: dg.AssetExecutionContext, database: Database, target: ForecastTarget
    ) -> pd.DataFrame:
        """Polls visible on the as-of date for the forecast's cycle and office, validated by pandera.

        Visible means ended on or before as-of and, where the source says when it was published,
        published on or before as-of. One row per poll (one question chosen per poll). A frame that
        fails the schema is passed on as read, and the blocking check `polls_valid` stops the run
        with the failure cases.
        """
        import pandera.errors

        from forecast_pipeline.model_input import visible_polls
        from forecast_pipeline.schemas.model_polls import VisiblePolls

        f = forecast_for(context, target)
        polls = visible_polls(database.engine(), f.cycle, f.office, f.as_of)
        try:
            out = VisiblePolls.validate(polls, lazy=True)
        except pandera.errors.SchemaErrors:
            out = polls
        context.add_output_metadata(
            {
                "dagster/row_count": len(out),
                "forecast": f.label,
                "latest_end_date": str(pd.to_datetime(out["end_date"]).max().date()) if len(out) else "none",
                "national_polls": int((out["state"] == "US").sum()),
                "preview": dg.MetadataValue.md(
                    out.sort_values("end_date").tail(20).to_markdown(index=False) if len(out) else "no polls"
                ),
            }
        )
        return out

    @dg.asset_check(
        asset=["core", "validated_polls"],
        partitions_def=partitions_def,
        blocking=True,
        description="pandera schema VisiblePolls: types, shares in [0, 100], D + R <= 100.5, "
        "one row per poll",
    )
    def polls_valid(validated_polls: pd.DataFrame) -> dg.AssetCheckResult:
        import pandera.errors

        from forecast_pipeline.schemas.model_polls import VisiblePolls

        try:
            VisiblePolls.validate(validated_polls, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            summary = cases.groupby("check", dropna=False).size().sort_values(ascending=False)
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                description="; ".join(f"{n} row(s) fail {c}" for c, n in summary.head(5).items()),
                metadata={
                    "failure_cases": len(cases),
                    "cases": dg.MetadataValue.md(cases.head(30).to_markdown(index=False)),
                },
            )
        return dg.AssetCheckResult(
            passed=True,
            description=f"{len(validated_polls)} polls pass the schema",
            metadata={"rows": len(validated_polls)},
        )

    @dg.asset(
        key=["model", "input"],
        partitions_def=partitions_def,
        group_name="model",
        kinds={"pandas"},
        owners=OWNERS,
        ins={"validated_polls": dg.AssetIn(["core", "validated_polls"])},
        # no output when the partition has no race to forecast: the rest of the path is skipped
        output_required=False,
    )
    def model_input(
        context: dg.AssetExecutionContext,
        database: Database,
        target: ForecastTarget,
        validated_polls: pd.DataFrame,
    ):
        """Races (with the previous-election prior) and the polls the model will see.

        Nothing to forecast is not an error: a partition whose cycle has no race of its office (a
        Senate partition of a cycle whose Senate races are not in the data yet, or president in a
        midterm), or a presidential partition dated before the election year's fundamentals are
        published (today's 2028 partition: June 2028 approval and Q2 2028 GDP), is not materialized.
        The asset records an observation with the reason (`skipped`), nothing downstream runs, and
        the run succeeds. A partition with races and a prior but no polls yet is fitted from the prior.
        """
        from forecast_pipeline.model_input import (
            build_model_input,
            no_races_reason,
            prior_not_published_reason,
        )

        f = forecast_for(context, target)
        reason = no_races_reason(database.engine(), f.cycle, f.office, f.as_of)
        if reason is None:
            try:
                inp = build_model_input(database.engine(), f.cycle, f.office, f.as_of, polls=validated_polls)
            except ValueError:
                reason = prior_not_published_reason(f.cycle, f.office, f.as_of)
                if reason is None:
                    raise
        if reason is not None:
            context.log.info(f"{f.label}: not forecast: {reason}")
            yield dg.AssetObservation(
                asset_key=context.asset_key,
                partition=context.partition_key if context.has_partition_key else None,
                metadata={"forecast": f.label, "skipped": reason, "polls": len(validated_polls)},
            )
            return
        yield dg.Output(
            inp,
            metadata={
                "dagster/row_count": len(inp.polls),
                "forecast": f.label,
                "races": len(inp.races),
                "polls": len(inp.polls),
                "national_polls": int(inp.polls["is_national"].sum()),
                "imputed_sample_sizes": int(inp.polls["sample_size_imputed"].sum()),
                "election_day": str(inp.election_day),
                **_mrp_metadata(inp),
            },
        )

    @dg.asset(
        key=["model", "posterior"],
        partitions_def=partitions_def,
        group_name="model",
        kinds={"pymc", "netcdf"},
        owners=OWNERS,
        io_manager_key="posterior_io",
        ins={"model_input": dg.AssetIn(["model", "input"])},
        # at most one fit per slot of the pool (dagster.yaml): fits need every core they can get
        pool="pymc_fit",
    )
    def posterior(context: dg.AssetExecutionContext, target: ForecastTarget, model_input):
        """Posterior of the state poll model (DataTree saved as netCDF per partition, with model
        version and config hash)."""
        from forecast_pipeline.models.config import PriorConfig
        from forecast_pipeline.models.poll_model import fit
        from forecast_pipeline.models.summarize import diagnostics

        idata = fit(model_input, target.sampler_config(), PriorConfig())
        diag = diagnostics(idata)
        context.add_output_metadata(
            {
                "max_rhat": float(diag["max_rhat"]),
                "min_ess_bulk": float(diag["min_ess_bulk"]),
                "divergences": int(diag["divergences"]),
                "sampling_seconds": float(diag["sampling_seconds"]),
                "sampler": str(idata.attrs.get("sampler")),
                "config_hash": str(idata.attrs.get("config_hash")),
            }
        )
        return idata

    @dg.asset_check(
        asset=["model", "posterior"],
        partitions_def=partitions_def,
        blocking=True,
        description="r-hat, bulk ESS and divergences within the gate; a failed fit is stored as "
        "failed (forecast.runs) with its diagnostics and is not published",
    )
    def convergence(
        context: dg.AssetCheckExecutionContext, target: ForecastTarget, database: Database, posterior
    ) -> dg.AssetCheckResult:
        from datetime import date as _date

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
            a = posterior.attrs
            metadata["failed_forecast_run_id"] = record_failed_run(
                database.engine(),
                int(a["cycle"]),
                str(a["office"]),
                _date.fromisoformat(str(a["as_of"])),
                posterior,
                "; ".join(problems),
                dagster_run_id=_run_id(context),
                thresholds={
                    "max_rhat": target.max_rhat,
                    "min_ess_bulk": target.min_ess_bulk,
                    "divergences": 0,
                },
            )
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            description=("NOT PUBLISHED: " + "; ".join(problems)) if problems else "converged",
            metadata=metadata,
        )

    @dg.asset(
        key=["forecast", "race_forecasts"],
        partitions_def=partitions_def,
        group_name="publish",
        kinds={"postgres", "pandas"},
        owners=OWNERS,
        ins={"model_input": dg.AssetIn(["model", "input"]), "posterior": dg.AssetIn(["model", "posterior"])},
        # the write is one transaction and idempotent, so a retry after a lost connection is safe
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
    )
    def race_forecasts(
        context: dg.AssetExecutionContext, database: Database, model_input, posterior
    ) -> pd.DataFrame:
        """Per race: P(Democratic win), mean and 10/50/90% quantiles of the Democratic two-party share,
        the actual result where known; written to forecast.* in one transaction with the run's scores."""
        from forecast_pipeline.publish import build_forecast_table, publish_forecast
        from forecast_pipeline.report.plots import tile_map_png

        engine = database.engine()
        table, scores = build_forecast_table(engine, model_input, posterior)
        run_id = publish_forecast(
            engine,
            model_input,
            posterior,
            table,
            scores,
            dagster_run_id=context.run.run_id,
            posterior_path=posterior.attrs.get("posterior_path"),
        )
        title = f"P(Democratic win), {model_input.cycle} {model_input.office} as of {model_input.as_of}"
        context.add_output_metadata(
            {
                "dagster/row_count": len(table),
                "forecast_run_id": run_id,
                **{k: float(v) for k, v in scores.items() if v is not None},
                "preview": dg.MetadataValue.md(table.head(60).to_markdown(index=False, floatfmt=".3f")),
                "map": png_md(tile_map_png(table, title), "forecast tile map"),
            }
        )
        return table

    @dg.asset(
        key=["diagnostics", "convergence_summary"],
        partitions_def=partitions_def,
        group_name="diagnostics",
        kinds={"arviz", "png"},
        owners=OWNERS,
        ins={"model_input": dg.AssetIn(["model", "input"]), "posterior": dg.AssetIn(["model", "posterior"])},
    )
    def convergence_summary(context: dg.AssetExecutionContext, model_input, posterior) -> pd.DataFrame:
        """r-hat, ESS, divergences and sampling time; state trend lines, the forest plot and the house
        effects, saved under artifacts/ and shown here as images."""
        from forecast_pipeline.config import Settings
        from forecast_pipeline.diagnostics_report import write_diagnostics
        from forecast_pipeline.report.plots import house_effects_png

        inp = model_input
        out_dir = Settings.from_env().artifacts_dir / "diagnostics" / f"{inp.cycle}-{inp.office}-{inp.as_of}"
        summary, files, diag = write_diagnostics(posterior, inp, out_dir)
        house = house_effects_png(posterior)
        if house is not None:
            files["house_effects"] = out_dir / "house_effects.png"
            files["house_effects"].write_bytes(house)
        context.add_output_metadata(
            {
                "dagster/row_count": len(summary),
                **{k: float(v) for k, v in diag.items()},
                "summary": dg.MetadataValue.md(summary.head(30).to_markdown(floatfmt=".3f")),
                **{f"plot_{name}": dg.MetadataValue.path(str(path)) for name, path in files.items()},
                "trend": png_md(files["trend"].read_bytes(), "state trend lines"),
                "forest": png_md(files["forest"].read_bytes(), "Election-Day shares"),
                **({"house_effects": png_md(house, "house effects")} if house is not None else {}),
            }
        )
        return summary

    @dg.asset(
        key=["report", "forecast_report"],
        partitions_def=partitions_def,
        group_name="report",
        kinds={"html", "csv"},
        owners=OWNERS,
        ins={
            "model_input": dg.AssetIn(["model", "input"]),
            "race_forecasts": dg.AssetIn(["forecast", "race_forecasts"]),
        },
    )
    def forecast_report(
        context: dg.AssetExecutionContext,
        database: Database,
        model_input,
        race_forecasts: pd.DataFrame,
    ) -> dict:
        """The self-contained HTML report of this forecast (topline, electoral-vote or seat distribution,
        tile map, trend chart, what changed since the previous forecast, diagnostics) and the CSV
        exports of the race table and the simulations, under artifacts/reports/. The distributions are
        read from the joint simulations published with the run (forecast.simulations)."""
        from forecast_pipeline.config import Settings
        from forecast_pipeline.report.build import build_report

        inp = model_input
        out_dir = Settings.from_env().artifacts_dir / "reports" / f"{inp.cycle}-{inp.office}-{inp.as_of}"
        rep = build_report(database.engine(), inp.cycle, inp.office, inp.as_of, out_dir)
        context.add_output_metadata(
            {
                "dagster/row_count": rep["n_races"],
                "html": dg.MetadataValue.path(str(rep["html"])),
                "races_csv": dg.MetadataValue.path(str(rep["races_csv"])),
                "simulations_csv": dg.MetadataValue.path(str(rep["simulations_csv"])),
                "topline": dg.MetadataValue.md(rep["topline_md"]),
                "simulations": rep["n_sims"],
                "distribution": png_md(rep["distribution_png"], "distribution"),
            }
        )
        return {k: str(v) for k, v in rep.items() if k in ("html", "races_csv", "simulations_csv")}

    assets = [validated_polls, model_input, posterior, race_forecasts, convergence_summary, forecast_report]
    return assets, [polls_valid, convergence]


FORECAST_ASSETS, FORECAST_CHECKS = build_forecast_assets(FORECAST_PARTITIONS)
FORECAST_KEYS = [k for a in FORECAST_ASSETS for k in a.keys]


def _run_id(context) -> str | None:
    try:
        return context.op_execution_context.run_id
    except Exception:  # noqa: BLE001 - a directly invoked check has no run
        return None


def _mrp_metadata(inp) -> dict:
    """Whether the structure used the MRP estimates (``structure.info["mrp"]``), for the asset page."""
    info = (inp.structure.info if inp.structure is not None else {}).get("mrp")
    if not info:
        return {}
    out = {"mrp_used": bool(info.get("used"))}
    if info.get("used"):
        out["mrp_survey_cycle"] = int(info["survey_cycle"])
        out["mrp_prior_weight"] = float(info.get("prior_weight_mrp", 0.0))
    else:
        out["mrp_note"] = str(info.get("reason"))
    return out
