-- Backtests: one run per (cycle, office, as-of) replay; its per-race forecasts and its scores,
-- the model's and each baseline's, one row per metric.
CREATE TABLE IF NOT EXISTS forecast.backtest_runs (
    backtest_id     BIGSERIAL PRIMARY KEY,
    cycle           INTEGER NOT NULL,
    office          TEXT NOT NULL,
    as_of           DATE NOT NULL,
    days_before     INTEGER NOT NULL,
    model_version   TEXT NOT NULL,
    config_hash     TEXT NOT NULL,
    n_polls         INTEGER NOT NULL,
    max_rhat        DOUBLE PRECISION,
    min_ess_bulk    DOUBLE PRECISION,
    divergences     INTEGER,
    sampling_seconds DOUBLE PRECISION,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (cycle, office, as_of, config_hash)
);

CREATE TABLE IF NOT EXISTS forecast.backtest_races (
    backtest_id          BIGINT NOT NULL REFERENCES forecast.backtest_runs (backtest_id) ON DELETE CASCADE,
    race_id              TEXT NOT NULL,
    p_dem_win            DOUBLE PRECISION NOT NULL,
    dem_two_party_mean   DOUBLE PRECISION NOT NULL,
    q025 DOUBLE PRECISION, q10 DOUBLE PRECISION, q25 DOUBLE PRECISION, q50 DOUBLE PRECISION,
    q75 DOUBLE PRECISION, q90 DOUBLE PRECISION, q975 DOUBLE PRECISION,
    crps                 DOUBLE PRECISION,
    pit                  DOUBLE PRECISION,
    n_polls              INTEGER,
    actual_dem_two_party DOUBLE PRECISION,
    PRIMARY KEY (backtest_id, race_id)
);

CREATE TABLE IF NOT EXISTS forecast.backtest_scores (
    backtest_id  BIGINT NOT NULL REFERENCES forecast.backtest_runs (backtest_id) ON DELETE CASCADE,
    forecaster   TEXT NOT NULL,   -- 'model', 'poll_average', 'prior', 'uniform_swing'
    metric       TEXT NOT NULL,
    value        DOUBLE PRECISION,
    PRIMARY KEY (backtest_id, forecaster, metric)
);

CREATE TABLE IF NOT EXISTS forecast.backtest_excluded (
    cycle    INTEGER NOT NULL,
    office   TEXT NOT NULL,
    race_id  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    PRIMARY KEY (cycle, office, race_id)
);
