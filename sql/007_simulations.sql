-- Joint simulations of a forecast run and what they add up to (forecast_pipeline.simulations,
-- written by forecast_pipeline.publish_outputs in the run's publishing transaction).

-- One row per simulation x race: the Democratic two-party share on Election Day. Every race of a
-- simulation comes from the same posterior draw, so conditional questions can be asked with SQL
-- (self-join on run_id, sim). Loaded with COPY.
CREATE TABLE IF NOT EXISTS forecast.simulations (
    run_id     BIGINT NOT NULL REFERENCES forecast.runs (run_id) ON DELETE CASCADE,
    sim        INTEGER NOT NULL,
    race_id    TEXT NOT NULL,
    dem_share  REAL NOT NULL CHECK (dem_share >= 0 AND dem_share <= 1),
    PRIMARY KEY (run_id, sim, race_id)
);

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
