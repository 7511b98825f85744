"""Jobs, the nightly schedules and the new-polls sensor.

- ``ingest_job`` loads the data files (raw/polls) at 05:00 UTC.
- ``forecast_job`` materializes the forecast path for one (as-of, office) partition. The nightly
  schedule (06:00 UTC) asks for today's partition of every office that has races in the current
  cycle; the ``new_polls`` sensor asks for a run when polls are loaded (cursor: the load time of the
  last load it has seen).
- Nightly and sensor runs carry ``dagster/priority`` 10; backfill runs carry Dagster's own
  ``dagster/backfill`` tag, which the run queue (dagster.yaml) limits to one run at a time, so a
  backtest backfill never takes every run slot.
"""

import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from assets.forecast import FORECAST_CHECKS, FORECAST_KEYS
from assets.partitions import FORECAST_PARTITIONS, FORECAST_START, partition_key
from assets.resources import Database
from forecast_pipeline.cycles import cycle_for, offices_with_races
from forecast_pipeline.races import election_day

PRIORITY_TAGS = {"dagster/priority": "10"}

forecast_job = dg.define_asset_job(
    "forecast_job",
    selection=dg.AssetSelection.assets(*FORECAST_KEYS) | dg.AssetSelection.checks(*FORECAST_CHECKS),
    description="The forecast path for one as-of date x office partition.",
)
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(["raw", "polls"]),
    description="Load every data file into PostgreSQL and rebuild core.",
)


def nightly_run_requests(day: date, offices: list[str], trigger: str = "nightly") -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            run_key=f"{trigger}-{day.isoformat()}-{office}",
            partition_key=partition_key(day, office),
            tags={**PRIORITY_TAGS, "forecast/trigger": trigger},
        )
        for office in offices
    ]


@dg.schedule(
    cron_schedule="0 5 * * *",
    job=ingest_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Load new and changed data files every night.",
)
def nightly_ingest(context: dg.ScheduleEvaluationContext):
    return dg.RunRequest(run_key=f"ingest-{context.scheduled_execution_time:%Y-%m-%d}", tags=PRIORITY_TAGS)


@dg.schedule(
    cron_schedule="0 6 * * *",
    job=forecast_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Today's forecast for every office with races in the current cycle.",
)
def nightly_forecast(context: dg.ScheduleEvaluationContext, database: Database):
    day = context.scheduled_execution_time.date()
    cycle = cycle_for(day)
    offices = offices_with_races(database.engine(), cycle)
    if not offices:
        return dg.SkipReason(f"no office has races in the {cycle} cycle yet")
    return nightly_run_requests(day, offices)


# --- the new-polls sensor -----------------------------------------------------------------------------

# Loads committed after this long are taken even if none of their polls reached core (a file whose polls
# were all set aside), so that one such file cannot hold the cursor back.
SETTLE = timedelta(minutes=30)

_NEW_LOADS = sa.text(
    """
    SELECT l.load_id, l.finished_at, l.source,
           -- core is rebuilt after the files are loaded; until then the forecast would not see them
           EXISTS (SELECT 1 FROM core.polls p WHERE p.poll_key IN (
                       SELECT a.poll_key FROM raw.poll_answers a WHERE a.load_id = l.load_id)) AS in_core,
           ARRAY(SELECT DISTINCT a.cycle || ':' || a.office FROM raw.poll_answers a
                 WHERE a.load_id = l.load_id) AS cycle_offices
    FROM ops.load_runs l
    WHERE l.status = 'loaded' AND l.rows_loaded > 0 AND l.finished_at >= :after
      AND EXISTS (SELECT 1 FROM raw.poll_answers a WHERE a.load_id = l.load_id)
    ORDER BY l.finished_at, l.load_id
    """
)


def parse_cursor(cursor: str | None) -> tuple[datetime | None, set[int]]:
    """(load time of the last load seen, ids of the loads seen at exactly that time)."""
    if not cursor:
        return None, set()
    c = json.loads(cursor)
    return datetime.fromisoformat(c["finished_at"]), set(c["load_ids"])


def poll_sensor_step(engine: sa.Engine, cursor: str | None, today: date, now: datetime | None = None):
    """One evaluation of the new-polls sensor: (run requests, new cursor, skip reason or None).

    New loads are those finished after the cursor's time, or at that time but not yet seen. A load whose
    polls are not in core yet (the rebuild runs after the files are loaded) stops the scan there, and is
    looked at again next time. Each (cycle, office) with new polls gets a run of the partition as of
    today, or as of its Election Day for a past cycle (its final forecast), within the partitions.
    """
    after, seen_at = parse_cursor(cursor)
    with engine.connect() as conn:
        rows = conn.execute(_NEW_LOADS, {"after": after or datetime(1970, 1, 1)}).mappings().all()
    now = now or datetime.now(tz=rows[0]["finished_at"].tzinfo if rows else None)
    taken = []
    for r in rows:
        if after is not None and r["finished_at"] == after and r["load_id"] in seen_at:
            continue
        if not r["in_core"] and now - r["finished_at"] < SETTLE:
            break
        taken.append(r)
    if not taken:
        return [], cursor, "no new poll loads"
    last = taken[-1]["finished_at"]
    ids_at_last = {r["load_id"] for r in taken if r["finished_at"] == last}
    if after is not None and last == after:
        ids_at_last |= seen_at
    new_cursor = json.dumps({"finished_at": last.isoformat(), "load_ids": sorted(ids_at_last)})
    start = date.fromisoformat(FORECAST_START)
    targets: dict[tuple[date, str], int] = {}
    for r in taken:
        for co in r["cycle_offices"]:
            cycle, office = int(co.split(":")[0]), co.split(":")[1]
            if (
                office
                not in FORECAST_PARTITIONS.get_partitions_def_for_dimension("office").get_partition_keys()
            ):
                continue
            as_of = min(today, election_day(cycle))
            if as_of < start or cycle_for(as_of) != cycle:
                continue  # a cycle before the partitions, or one that has not started by today
            targets[(as_of, office)] = max(targets.get((as_of, office), 0), r["load_id"])
    requests = [
        dg.RunRequest(
            run_key=f"polls-{load_id}-{as_of.isoformat()}-{office}",
            partition_key=partition_key(as_of, office),
            tags={**PRIORITY_TAGS, "forecast/trigger": "new_polls"},
        )
        for (as_of, office), load_id in sorted(targets.items())
    ]
    skip = None if requests else f"{len(taken)} new load(s), none for a forecast partition"
    return requests, new_cursor, skip


@dg.sensor(
    job=forecast_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests a forecast run for each cycle x office with newly loaded polls "
    "(cursor: load time in ops.load_runs).",
)
def new_polls(context: dg.SensorEvaluationContext, database: Database):
    today = datetime.now(tz=UTC).date()
    requests, cursor, skip = poll_sensor_step(database.engine(), context.cursor, today)
    if cursor != context.cursor:
        context.update_cursor(cursor)
    if skip:
        return dg.SkipReason(skip)
    return requests


JOBS = [forecast_job, ingest_job]
SCHEDULES = [nightly_ingest, nightly_forecast]
SENSORS = [new_polls]
