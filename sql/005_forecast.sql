CREATE TABLE IF NOT EXISTS forecast.runs (
    run_id          BIGSERIAL PRIMARY KEY,
    cycle           INTEGER NOT NULL,
    office          TEXT NOT NULL,
    as_of           DATE NOT NULL,
    model_type      TEXT NOT NULL,
    model_version   TEXT NOT NULL,
    config_hash     TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('published', 'failed', 'superseded')),
    max_rhat        DOUBLE PRECISION,
    min_ess_bulk    DOUBLE PRECISION,
    divergences     INTEGER,
    sampling_seconds DOUBLE PRECISION,
    n_polls         INTEGER,
    posterior_path  TEXT,
    dagster_run_id  TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- At most one published forecast per (cycle, office, as_of): a re-run supersedes it in the same
-- transaction that writes the new rows.
CREATE UNIQUE INDEX IF NOT EXISTS runs_one_published
    ON forecast.runs (cycle, office, as_of) WHERE status = 'published';

CREATE TABLE IF NOT EXISTS forecast.race_forecasts (
    run_id               BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    race_id              TEXT NOT NULL,
    state                TEXT NOT NULL,
    district             INTEGER,
    p_dem_win            DOUBLE PRECISION NOT NULL CHECK (p_dem_win BETWEEN 0 AND 1),
    dem_two_party_mean   DOUBLE PRECISION NOT NULL,
    dem_two_party_q10    DOUBLE PRECISION NOT NULL,
    dem_two_party_q50    DOUBLE PRECISION NOT NULL,
    dem_two_party_q90    DOUBLE PRECISION NOT NULL,
    n_polls              INTEGER NOT NULL,
    actual_dem_two_party DOUBLE PRECISION,
    PRIMARY KEY (run_id, race_id)
);

CREATE TABLE IF NOT EXISTS forecast.race_trend (
    run_id        BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    race_id       TEXT NOT NULL,
    day           DATE NOT NULL,
    dem_two_party_mean DOUBLE PRECISION NOT NULL,
    dem_two_party_q10  DOUBLE PRECISION NOT NULL,
    dem_two_party_q90  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, race_id, day)
);

CREATE TABLE IF NOT EXISTS forecast.scores (
    run_id   BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    metric   TEXT NOT NULL,
    value    DOUBLE PRECISION,
    PRIMARY KEY (run_id, metric)
);
