"""Resources: the database, the forecast being asked for, and where posteriors live."""

from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

from forecast_pipeline.models.config import SamplerConfig


class Database(dg.ConfigurableResource):
    """PostgreSQL. Leave `url` empty to use DATABASE_URL, or the embedded server when that is unset."""

    url: str | None = Field(default=None, description="SQLAlchemy URL; never logged.")

    def engine(self):
        """Runtime-role engine (cannot drop or truncate raw tables); what assets read and write with."""
        from forecast_pipeline.db.engine import get_engine
        from forecast_pipeline.db.server import normalise_url

        return get_engine(url=normalise_url(self.url) if self.url else None)

    def owner_engine(self):
        """The URL's own user: only for migrations."""
        from forecast_pipeline.db.engine import get_engine
        from forecast_pipeline.db.server import normalise_url

        return get_engine(url=normalise_url(self.url) if self.url else None, owner=True)


class ForecastTarget(dg.ConfigurableResource):
    """Which forecast to make and how hard to sample. Defaults: 2020 president as of 2 Nov 2020."""

    cycle: int = 2020
    office: str = "president"
    as_of: str = Field(default="2020-11-02", description="ISO date; nothing dated later reaches the model")
    sampler: str = Field(default="nutpie", description="'nutpie' or 'pymc'")
    draws: int = SamplerConfig.draws
    tune: int = SamplerConfig.tune
    chains: int = 2
    cores: int = 2
    target_accept: float = 0.9
    seed: int = 20261127
    max_rhat: float = Field(
        default=1.05, description="convergence gate: the forecast is not published above it"
    )
    min_ess_bulk: float = 100.0

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of)

    def sampler_config(self):
        from forecast_pipeline.models.config import SamplerConfig

        return SamplerConfig(
            sampler=self.sampler,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            cores=self.cores,
            target_accept=self.target_accept,
            seed=self.seed,
        )


class PosteriorIOManager(dg.ConfigurableIOManager):
    """Stores posteriors as netCDF (never pickles a DataTree).

    Loading refuses a posterior made by other model code or settings, or for another forecast than the
    one the target asks for, so a stale file can never be published as today's forecast.
    """

    base_dir: str
    target: ForecastTarget

    def _path(self, context) -> Path:
        name = "_".join(context.asset_key.path)
        if context.has_asset_partitions:
            from assets.partitions import parse_partition_key

            as_of, office = parse_partition_key(context.asset_partition_key)
            return posterior_path(self.base_dir, name, as_of.isoformat(), office)
        # one file per forecast, so runs for different as-of dates at the same time never read each
        # other's posterior (save_posterior writes it atomically: temporary file, then rename)
        t = self.target
        return Path(self.base_dir) / "posteriors" / f"{t.cycle}-{t.office}-{t.as_of}" / (name + ".nc")

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        from forecast_pipeline.models.summarize import save_posterior

        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_posterior(obj, path)
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext):
        from forecast_pipeline.models.config import PriorConfig, config_hash
        from forecast_pipeline.models.poll_model import MODEL_VERSION
        from forecast_pipeline.models.summarize import PosteriorMismatchError, load_posterior

        expected = config_hash(self.target.sampler_config(), PriorConfig(), MODEL_VERSION)
        path = self._path(context)
        idata = load_posterior(path, expected)
        if context.has_asset_partitions:
            from assets.partitions import forecast_from_partition

            f = forecast_from_partition(context.asset_partition_key)
            wanted = (f.cycle, f.office, f.as_of.isoformat())
        else:
            t = self.target
            wanted = (t.cycle, t.office, t.as_of)
        stored = (idata.attrs.get("cycle"), idata.attrs.get("office"), idata.attrs.get("as_of"))
        if stored != wanted:
            raise PosteriorMismatchError(
                f"posterior at {path} is for {stored}, not for {wanted}; re-materialize model/posterior"
            )
        # Where it lives, so that the published run can point at it (forecast.runs.posterior_path).
        idata.attrs["posterior_path"] = str(path)
        return idata


def posterior_path(base_dir: str | Path, name: str, as_of: str, office: str) -> Path:
    """One netCDF file per partition: <base>/posteriors/<asset>/<as_of>/<office>.nc"""
    return Path(base_dir) / "posteriors" / name / as_of / f"{office}.nc"
