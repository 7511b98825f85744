-- The runtime role: what pipeline runs use (forecast_pipeline.db.engine sets it on every connection of
-- a run; see README "Security"). It reads and appends raw data, rebuilds core, and writes forecasts and
-- operational records. It owns nothing, so it cannot DROP or ALTER any table, and it has no TRUNCATE on
-- raw.* or ops.* (core.* is rebuilt with TRUNCATE, so it has that there). Migrations keep running as the
-- owner. NOLOGIN: a deployment that wants separate credentials gives it LOGIN and a password itself.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'forecast_runtime') THEN
        CREATE ROLE forecast_runtime NOLOGIN;
    END IF;
END
$$;

-- Let the owner (whoever runs migrations) switch to it.
DO $$
BEGIN
    EXECUTE format('GRANT forecast_runtime TO %I', current_user);
EXCEPTION WHEN others THEN
    NULL;  -- already a member, or a superuser, which needs no grant
END
$$;

GRANT USAGE ON SCHEMA raw, core, forecast, ops TO forecast_runtime;

GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA raw TO forecast_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA core TO forecast_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA forecast TO forecast_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ops TO forecast_runtime;
REVOKE ALL ON ops.schema_migrations FROM forecast_runtime;
GRANT SELECT ON ops.schema_migrations TO forecast_runtime;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA raw, core, forecast, ops TO forecast_runtime;

-- Tables and sequences later migrations create (run by the same owner) get the same rights, without
-- TRUNCATE: a later migration that needs the runtime to TRUNCATE a table grants it explicitly.
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO forecast_runtime;
ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO forecast_runtime;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO forecast_runtime;
