-- Joint simulations of a forecast run and what they add up to (forecast_pipeline.simulations,
-- written by forecast_pipeline.publish_outputs in the run's publishing transaction).

-- One row per simulation x race: the Democratic two-party share on Election Day. Every race of a
-- simulation comes from the same posterior draw, so conditional questions can be asked with SQL
-- (self-join on run_id, sim). Loaded with binary COPY (10,000 x 51 rows per presidential run).
-- No foreign key to forecast.runs: its per-row check took three quarters of the load time
-- (measured: 510,000 rows 8.4 s with it, 2.0 s without, on a loaded 2-core machine). The trigger below deletes a run's
-- simulations with the run instead, and publish_outputs only writes rows for the run it was given.
CREATE TABLE IF NOT EXISTS forecast.simulations (
    run_id     BIGINT NOT NULL,
    sim        INTEGER NOT NULL,
    race_id    TEXT COLLATE "C" NOT NULL,  -- byte order: cheaper key comparisons while COPY builds the index
    dem_share  REAL NOT NULL CHECK (dem_share >= 0 AND dem_share <= 1),
    PRIMARY KEY (run_id, sim, race_id)
);

CREATE OR REPLACE FUNCTION forecast.delete_run_simulations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM forecast.simulations WHERE run_id = OLD.run_id;
    RETURN OLD;
END $$;
DROP TRIGGER IF EXISTS runs_delete_simulations ON forecast.runs;
CREATE TRIGGER runs_delete_simulations AFTER DELETE ON forecast.runs
    FOR EACH ROW EXECUTE FUNCTION forecast.delete_run_simulations();

-- Distribution of Democratic electoral votes (president).
CREATE TABLE IF NOT EXISTS forecast.ev_distribution (
    run_id       BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    ev           INTEGER NOT NULL CHECK (ev BETWEEN 0 AND 538),
    probability  DOUBLE PRECISION NOT NULL CHECK (probability > 0 AND probability <= 1),
    PRIMARY KEY (run_id, ev)
);

-- P(race is the tipping point) per presidential race (Maine / Nebraska districts when modelled).
CREATE TABLE IF NOT EXISTS forecast.tipping_point (
    run_id       BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    race_id      TEXT NOT NULL,
    probability  DOUBLE PRECISION NOT NULL CHECK (probability BETWEEN 0 AND 1),
    PRIMARY KEY (run_id, race_id)
);

-- Distribution of Democratic (and Democratic-caucusing) Senate seats after the election,
-- seats not up included.
CREATE TABLE IF NOT EXISTS forecast.seat_distribution (
    run_id       BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    dem_seats    INTEGER NOT NULL CHECK (dem_seats BETWEEN 0 AND 100),
    probability  DOUBLE PRECISION NOT NULL CHECK (probability > 0 AND probability <= 1),
    PRIMARY KEY (run_id, dem_seats)
);

-- Office-level numbers: p_dem_win_ec, ev_mean, ev_q10, ..., p_dem_control, seats_not_up_dem, ...
CREATE TABLE IF NOT EXISTS forecast.topline (
    run_id   BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    office   TEXT NOT NULL,
    metric   TEXT NOT NULL,
    value    DOUBLE PRECISION,
    PRIMARY KEY (run_id, office, metric)
);
