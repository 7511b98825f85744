"""`forecast-pipeline`: load data, run forecasts, manage the database."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import date
from pathlib import Path

import click

from forecast_pipeline.config import Settings, redact_url, scrub_secrets
from forecast_pipeline.models.config import SamplerConfig


def _engine(settings: Settings):
    """Migrate as the owner, then return the runtime-role engine the command works with."""
    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.db.migrate import migrate

    migrate(get_engine(settings, owner=True))
    return get_engine(settings)


def _echo_load(report) -> None:
    if report.status == "failed":
        click.echo(f"  failed    {report.source:70s} {report.error}", err=True)
        return
    click.echo(
        f"  {report.status:9s} {report.source:70s} read {report.rows_read:>6} "
        f"loaded {report.rows_loaded:>6} rejected {report.rows_rejected:>5} ({report.seconds:.1f}s)",
        err=True,
    )


class _Cli(click.Group):
    """Errors end the command with a one-line message and exit code 1, never a traceback, and never
    show a credential: every message passes through ``scrub_secrets``. With -v the (scrubbed)
    traceback follows the message."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            message = scrub_secrets(f"{type(exc).__name__}: {exc}")
            click.echo(f"error: {message.splitlines()[0] if message else type(exc).__name__}", err=True)
            if ctx.params.get("verbose"):
                import traceback

                click.echo(scrub_secrets("".join(traceback.format_exception(exc))), err=True)
            sys.exit(1)


@click.group(cls=_Cli)
@click.option("-v", "--verbose", is_flag=True, help="Show library logs (and tracebacks of errors).")
def main(verbose: bool) -> None:
    """Election forecasting pipeline: polls in PostgreSQL -> PyMC poll model -> race forecasts.

    The database is DATABASE_URL when set, else an embedded PostgreSQL under ./.pgdata (or
    FORECAST_PGDATA). Data files are read from FORECAST_DATA_DIR (default ../shared/data/raw beside
    the checkout, else ./data/raw).
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)


@main.group()
def db() -> None:
    """Database commands."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations from sql/ (idempotent)."""
    from forecast_pipeline.db.engine import get_engine
    from forecast_pipeline.db.migrate import migrate

    settings = Settings.from_env()
    engine = get_engine(settings, owner=True)
    done = migrate(engine)
    click.echo(f"database: {redact_url(str(engine.url))}")
    click.echo(
        f"applied {len(done)} migration(s)" + (": " + ", ".join(m.path.name for m in done) if done else "")
    )


@main.group()
def data() -> None:
    """Data files: load them into PostgreSQL, or fetch them from upstream."""


@data.command("load")
@click.option(
    "--source",
    "source",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: FORECAST_DATA_DIR or ../shared/data/raw).",
)
@click.option("--file", "files", multiple=True, help="Only this file (relative to the data directory).")
def data_load(source: Path | None, files: tuple[str, ...]) -> None:
    """Load poll and results files; files already loaded with the same content are skipped."""
    from forecast_pipeline.ingest import load_files

    settings = Settings.from_env(data_dir=source)
    engine = _engine(settings)
    click.echo(f"loading from {settings.data_dir}", err=True)
    reports = load_files(engine, settings.data_dir, files or None, progress=_echo_load)
    read = sum(r.rows_read for r in reports)
    rejected = sum(r.rows_rejected for r in reports)
    failed = [r for r in reports if r.status == "failed"]
    click.echo(
        f"{len(reports)} file(s): {read} rows read, {read - rejected} loaded, {rejected} rejected "
        "(reasons in ops.rejected_rows)" + (f"; {len(failed)} file(s) could not be read" if failed else "")
    )
    if failed:
        sys.exit(1)


@data.command("fetch")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write (default: FORECAST_DATA_DIR or ./data/raw).",
)
def data_fetch(dest: Path | None) -> None:
    """Download the data files from their upstream repositories (pinned commits, sha256 verified)."""
    import os

    from forecast_pipeline.config import PROJECT_ROOT
    from forecast_pipeline.fetch import fetch

    target = dest or Path(os.environ.get("FORECAST_DATA_DIR") or PROJECT_ROOT / "data" / "raw")
    fetch(target)


def _sampler_options(f=None, *, draws: int = SamplerConfig.draws):
    """--sampler/--draws/--tune/--chains/--seed with SamplerConfig's defaults (the poll model's); the
    MRP commands pass draws=1000."""
    if f is None:
        return lambda g: _sampler_options(g, draws=draws)
    for opt in reversed(
        [
            click.option(
                "--sampler", type=click.Choice(["nutpie", "pymc"]), default="nutpie", show_default=True
            ),
            click.option("--draws", type=int, default=draws, show_default=True),
            click.option("--tune", type=int, default=draws, show_default=True),
            click.option("--chains", type=int, default=SamplerConfig.chains, show_default=True),
            click.option("--seed", type=int, default=SamplerConfig.seed, show_default=True),
        ]
    ):
        f = opt(f)
    return f


@main.command("run")
@click.option("--cycle", type=int, required=True, help="Election year, e.g. 2016.")
@click.option(
    "--office", type=click.Choice(["president", "senate", "governor"]), default="president", show_default=True
)
@click.option(
    "--as-of", "as_of", required=True, help="Forecast date (YYYY-MM-DD); later polls are invisible."
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the forecast as a JSON document.",
)
@_sampler_options
@click.option(
    "--max-rhat",
    type=float,
    default=1.05,
    show_default=True,
    help="Convergence gate: not published above this r-hat (any parameter).",
)
@click.option(
    "--min-ess",
    type=float,
    default=100.0,
    show_default=True,
    help="Convergence gate: not published below this bulk ESS (any parameter).",
)
def run(
    cycle: int,
    office: str,
    as_of: str,
    json_path: Path | None,
    sampler: str,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    max_rhat: float,
    min_ess: float,
) -> None:
    """Load data if needed, materialize the forecast DAG and print one row per race."""
    from forecast_pipeline.runner import run_forecast

    try:
        as_of_date = date.fromisoformat(as_of)
    except ValueError as exc:
        raise click.BadParameter(f"--as-of {as_of!r} is not a YYYY-MM-DD date") from exc
    t0 = time.perf_counter()
    # the joint simulations go next to the JSON (the JSON only names the table and the file)
    sims_path = json_path.with_name(json_path.stem + "-simulations.csv.gz") if json_path else None
    doc = run_forecast(
        cycle=cycle,
        office=office,
        as_of=as_of_date,
        sampler=sampler,
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        max_rhat=max_rhat,
        min_ess_bulk=min_ess,
        log=lambda m: click.echo(m, err=True),
        simulations_path=sims_path,
    )
    _print_table(doc)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(doc, indent=2))
        click.echo(f"wrote {json_path}", err=True)
    click.echo(f"done in {time.perf_counter() - t0:.0f}s", err=True)
    if not doc["published"]:
        sys.exit(2)


def _int_list(value: str | None) -> list[int] | None:
    if not value:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of whole numbers") from exc


@main.command("backtest")
@click.option("--cycle", type=int, required=True)
@click.option(
    "--office", type=click.Choice(["president", "senate", "governor"]), default="president", show_default=True
)
@click.option("--as-of", "as_of", default=None, help="One as-of date (YYYY-MM-DD) instead of --days-before.")
@click.option(
    "--days-before",
    "days_before",
    default="90,60,30,14,7,1",
    show_default=True,
    help="Horizons in days before Election Day.",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@_sampler_options
def backtest(cycle, office, as_of, days_before, json_path, sampler, draws, tune, chains, seed) -> None:
    """Replay a past cycle as it stood on each as-of date and score it against the results."""
    from forecast_pipeline.backtest.runner import run_backtest_partition
    from forecast_pipeline.backtest.suite import format_table, suite_document

    settings = Settings.from_env()
    engine = _engine(settings)
    from forecast_pipeline.ingest import load_files

    load_files(engine, settings.data_dir, progress=None)
    if as_of:
        try:
            date.fromisoformat(as_of)
        except ValueError as exc:
            raise click.BadParameter(f"--as-of {as_of!r} is not a YYYY-MM-DD date") from exc
    doc = run_backtest_partition(
        cycle,
        office,
        None if as_of else _int_list(days_before),
        as_of,
        sampler,
        draws,
        tune,
        chains,
        seed,
        log=lambda m: click.echo(m, err=True),
    )
    click.echo(format_table(suite_document([doc], data_dir=settings.data_dir)))
    if doc["excluded"]:
        click.echo(
            f"excluded {len(doc['excluded'])} race(s): " + ", ".join(e["race_id"] for e in doc["excluded"])
        )
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(doc, indent=2, default=str))
        click.echo(f"wrote {json_path}", err=True)


@main.command("backtest-suite")
@click.option("--cycles", default="2008,2012,2016,2020", show_default=True)
@click.option("--offices", default="president", show_default=True)
@click.option("--days-before", "days_before", default="1", show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write report.md and PNG plots here.",
)
@_sampler_options
def backtest_suite(
    cycles, offices, days_before, json_path, report_dir, sampler, draws, tune, chains, seed
) -> None:
    """Run many backtests and pool them: scores per cycle, office and horizon, calibration, PIT, anchors."""
    from forecast_pipeline.backtest.report import write_report
    from forecast_pipeline.backtest.runner import run_backtest_partition
    from forecast_pipeline.backtest.suite import format_table, suite_document
    from forecast_pipeline.ingest import load_files

    settings = Settings.from_env()
    engine = _engine(settings)
    load_files(engine, settings.data_dir, progress=None)
    office_list = [o.strip() for o in offices.split(",") if o.strip()]
    runs = []
    for office in office_list:
        for cycle in _int_list(cycles) or []:
            if office == "president" and cycle % 4:
                click.echo(f"skipping {cycle} president: not a presidential year", err=True)
                continue
            runs.append(
                run_backtest_partition(
                    cycle,
                    office,
                    _int_list(days_before),
                    None,
                    sampler,
                    draws,
                    tune,
                    chains,
                    seed,
                    log=lambda m: click.echo(m, err=True),
                )
            )
    doc = suite_document(runs, data_dir=settings.data_dir)
    click.echo(format_table(doc))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(doc, indent=2, default=str))
        click.echo(f"wrote {json_path}", err=True)
    if report_dir:
        path = write_report(doc, report_dir)
        click.echo(f"wrote {path}", err=True)


@main.command("report")
@click.option("--cycle", type=int, required=True, help="Election year, e.g. 2020.")
@click.option(
    "--office", type=click.Choice(["president", "senate", "governor"]), default="president", show_default=True
)
@click.option("--as-of", "as_of", required=True, help="Date of the published forecast (YYYY-MM-DD).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for report.html, races.csv and simulations.csv.",
)
def report(cycle: int, office: str, as_of: str, out_dir: Path) -> None:
    """Write the HTML report (works offline) and CSV exports of a published forecast."""
    from forecast_pipeline.report.build import ReportError, build_report

    try:
        as_of_date = date.fromisoformat(as_of)
    except ValueError as exc:
        raise click.BadParameter(f"--as-of {as_of!r} is not a YYYY-MM-DD date") from exc
    engine = _engine(Settings.from_env())
    try:
        rep = build_report(engine, cycle, office, as_of_date, out_dir)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(rep["topline_md"].replace("**", ""))
    for key in ("html", "races_csv", "simulations_csv"):
        click.echo(f"wrote {rep[key]}")


@main.group()
def voterfile() -> None:
    """Synthetic voter files (NC layout, all states): generate, aggregate in SQL, MRP."""


def _states(value: str | None) -> list[str] | None:
    return [s.strip().upper() for s in value.split(",") if s.strip()] if value else None


@voterfile.command("generate")
@click.option(
    "--fraction",
    type=float,
    default=0.01,
    show_default=True,
    help="Share of the census population drawn (0.01 = a 1% file, about 2.2M people for 2012).",
)
@click.option("--seed", type=int, default=20261127, show_default=True)
@click.option(
    "--cycle",
    "cycles",
    default="2012",
    show_default=True,
    help="Comma-separated snapshot cycles: 2004 and 2012 use The Upshot frames, others are raked to the ACS.",
)
@click.option("--states", default=None, help="Comma-separated state codes (default: all 50 + DC).")
def voterfile_generate(fraction: float, seed: int, cycles: str, states: str | None) -> None:
    """Generate the voter file and stream it into PostgreSQL (COPY), state by state."""
    from forecast_pipeline.voterfile.generator import generate_to_db

    settings = Settings.from_env()
    engine = _engine(settings)
    for cycle in _int_list(cycles) or []:
        t0 = time.perf_counter()
        res = generate_to_db(
            engine,
            settings.data_dir,
            cycle,
            fraction,
            seed,
            _states(states),
            log=lambda m: click.echo(m, err=True),
        )
        click.echo(
            f"{cycle}: {sum(r.people for r in res)} people, {sum(r.voters for r in res)} registered voters, "
            f"{sum(r.history_rows for r in res)} vote-history rows in {len(res)} state(s) "
            f"({time.perf_counter() - t0:.0f}s)"
        )


@voterfile.command("aggregate")
@click.option("--cycle", "cycles", default="2012", show_default=True)
def voterfile_aggregate(cycles: str) -> None:
    """Rebuild voterfile.composition_state and composition_county in the database."""
    from forecast_pipeline.voterfile.aggregate import aggregate

    engine = _engine(Settings.from_env())
    for cycle in _int_list(cycles) or []:
        for r in aggregate(engine, cycle):
            click.echo(f"{cycle} voterfile.{r.table}: {r.rows} rows ({r.seconds:.2f}s)")


@voterfile.command("mrp")
@click.option(
    "--cycle",
    "cycles",
    default="2004,2012",
    show_default=True,
    help="Post-stratification cycles (their voter files must be aggregated).",
)
@click.option(
    "--survey-cycle", type=int, default=None, help="Survey to fit (default: latest at or before the cycle)."
)
@click.option("--sample-size", type=int, default=None, help="Fit on a random subsample of respondents.")
@_sampler_options(draws=1000)
def voterfile_mrp(cycles, survey_cycle, sample_size, sampler, draws, tune, chains, seed) -> None:
    """Fit the MRP, post-stratify on the voter file, store forecast.mrp_state_estimates, print RMSEs."""
    from forecast_pipeline.voterfile.mrp import run_mrp

    settings = Settings.from_env()
    engine = _engine(settings)
    for cycle in _int_list(cycles) or []:
        doc = run_mrp(
            engine, settings.data_dir, cycle, survey_cycle, sampler, draws, tune, chains, seed, sample_size
        )
        click.echo(
            f"{cycle} (survey {doc['survey_cycle']}, {doc['n_respondents']} respondents): "
            f"max r-hat {doc['max_rhat']:.3f}, min ESS {doc['min_ess_bulk']:.0f}, "
            f"divergences {doc['divergences']}, sampling {doc['sampling_seconds']:.0f}s"
        )
        if doc["rmse_mrp"] is not None:
            click.echo(
                f"  state RMSE vs certified result ({doc['n_states_scored']} states with respondents): "
                f"MRP {doc['rmse_mrp']:.4f}, raw survey means {doc['rmse_raw']:.4f}"
            )


@voterfile.command("run")
@click.option("--fraction", type=float, default=0.01, show_default=True)
@click.option("--cycle", "cycles", default="2004,2012", show_default=True)
@click.option("--states", default=None, help="Comma-separated state codes (default: all 50 + DC).")
@click.option(
    "--sample-size", type=int, default=None, help="Fit the MRP on a random subsample of respondents."
)
@_sampler_options(draws=1000)
def voterfile_run(fraction, cycles, states, sample_size, sampler, draws, tune, chains, seed) -> None:
    """Generate and load the voter file, aggregate it and fit the MRP, through the Dagster assets."""
    from forecast_pipeline.voterfile_runner import run_voterfile_assets

    t0 = time.perf_counter()
    out = run_voterfile_assets(
        _int_list(cycles) or [],
        fraction,
        seed,
        _states(states),
        sampler,
        draws,
        tune,
        chains,
        sample_size,
        log=lambda m: click.echo(m, err=True),
    )
    for key, meta in out.items():
        if key != "checks":
            click.echo(
                f"{key}: "
                + ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in meta.items())
            )
    click.echo(f"checks: {out['checks']}")
    click.echo(f"done in {time.perf_counter() - t0:.0f}s", err=True)


def _fmt(x, spec=".3f") -> str:
    return "   -  " if x is None else format(x, spec)


def _print_table(doc: dict) -> None:
    click.echo(
        f"\n{doc['cycle']} {doc['office']} forecast as of {doc['as_of']} "
        f"(model {doc['model_version']}, {doc['n_polls']} polls)"
    )
    click.echo(f"{'race':8s} {'P(D win)':>8s} {'D share':>8s} {'80% interval':>15s} {'actual':>7s}")
    for r in doc["races"]:
        label = r["state"] + (f"-{r['district']}" if r["district"] is not None else "")
        click.echo(
            f"{label:8s} {r['p_dem_win']:8.3f} {r['dem_two_party_mean']:8.3f} "
            f"  [{r['dem_two_party_q10']:.3f}, {r['dem_two_party_q90']:.3f}] "
            f"{_fmt(r['actual_dem_two_party']):>7s}"
        )
    ev, sen = doc.get("electoral_votes"), doc.get("senate")
    if ev:
        tp = sorted((doc.get("tipping_point") or {}).items(), key=lambda kv: -kv[1])[:5]
        click.echo(
            f"\nElectoral College: P(D 270+) {ev['p_dem_win']:.3f}, P(269-269) {ev['tie']:.3f}, "
            f"D electoral votes mean {ev['mean']:.0f} (80%: {ev['q10']:.0f}-{ev['q90']:.0f})"
        )
        click.echo("tipping point: " + ", ".join(f"{k} {v:.2f}" for k, v in tp))
    if sen:
        click.echo(
            f"\nSenate: P(D control) {sen['p_dem_control']:.3f}, D seats mean {sen['mean']:.1f} "
            f"(80%: {sen['q10']:.0f}-{sen['q90']:.0f}); not up: {sen['seats_not_up']}"
        )
    d, s = doc["diagnostics"], doc["scores"]
    click.echo(
        f"\ndiagnostics: max r-hat {d['max_rhat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}, "
        f"divergences {d['divergences']}, sampling {d['sampling_seconds']:.0f}s"
    )
    click.echo(
        f"scores ({s.get('n_races_scored', 0)} races with results): Brier {_fmt(s['brier'], '.4f')}, "
        f"two-party RMSE {_fmt(s['rmse_two_party'], '.4f')}"
    )
    if not doc["published"]:
        why = str(doc.get("check_description")).removeprefix("NOT PUBLISHED: ")
        click.echo(
            f"NOT PUBLISHED: the convergence check failed ({why}); stored as failed run "
            f"{doc.get('failed_run_id')}, the published forecast is unchanged"
        )


if __name__ == "__main__":
    main()
