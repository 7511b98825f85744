import pytest
import sqlalchemy as sa

from forecast_pipeline.db.migrate import MigrationError, discover, migrate


def test_all_migrations_applied_once(engine):
    with engine.connect() as conn:
        versions = (
            conn.execute(sa.text("SELECT version FROM ops.schema_migrations ORDER BY 1")).scalars().all()
        )
    assert versions == [m.version for m in discover()]
    assert migrate(engine) == []  # second run is a no-op


def test_schemas_and_tables_exist(engine):
    with engine.connect() as conn:
        tables = {
            f"{s}.{t}"
            for s, t in conn.execute(
                sa.text(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('raw', 'core', 'forecast', 'ops')"
                )
            )
        }
    for expected in [
        "raw.poll_answers",
        "raw.results",
        "core.races",
        "core.candidates",
        "core.pollsters",
        "core.polls",
        "core.poll_answers",
        "core.results",
        "forecast.runs",
        "forecast.race_forecasts",
        "ops.load_runs",
        "ops.rejected_rows",
    ]:
        assert expected in tables


def test_edited_migration_is_refused(empty_engine, tmp_path):
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / "001_a.sql").write_text("CREATE TABLE IF NOT EXISTS ops.t_a (x int);")
    assert [m.name for m in migrate(empty_engine, sql_dir)] == ["a"]
    (sql_dir / "001_a.sql").write_text("CREATE TABLE IF NOT EXISTS ops.t_a (x int, y int);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(empty_engine, sql_dir)


def test_badly_named_migration_is_refused(tmp_path):
    (tmp_path / "first.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNN_name.sql"):
        discover(tmp_path)
