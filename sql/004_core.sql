-- The canonical model. Rebuilt from raw.* by ingest.rebuild_core() (sql/queries/rebuild_core.sql).
CREATE TABLE IF NOT EXISTS core.races (
    race_id       TEXT PRIMARY KEY,
    cycle         INTEGER NOT NULL,
    office        TEXT NOT NULL,
    state         TEXT NOT NULL,
    district      INTEGER,
    senate_class  INTEGER
);

CREATE TABLE IF NOT EXISTS core.pollsters (
    pollster_id   SERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS core.candidates (
    candidate_id  SERIAL PRIMARY KEY,
    race_id       TEXT NOT NULL REFERENCES core.races (race_id),
    name          TEXT NOT NULL,
    party         TEXT,
    -- One person can stand under several parties in one race's rows (a write-in line in the other
    -- party's primary), so the party is part of the candidate's identity here.
    UNIQUE NULLS NOT DISTINCT (race_id, name, party)
);

-- One row per poll: the question chosen by the one-question-per-poll rule (README, "Polls").
CREATE TABLE IF NOT EXISTS core.polls (
    poll_key      TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    poll_id       TEXT NOT NULL,
    question_id   TEXT NOT NULL,
    race_id       TEXT NOT NULL REFERENCES core.races (race_id),
    pollster_id   INTEGER NOT NULL REFERENCES core.pollsters (pollster_id),
    sponsor       TEXT,
    partisan      TEXT,
    stage         TEXT,
    start_date    DATE NOT NULL,
    end_date      DATE NOT NULL,
    created_at    TIMESTAMP,
    sample_size   DOUBLE PRECISION,
    population    TEXT,
    mode          TEXT,
    n_questions   INTEGER NOT NULL,
    n_sources     INTEGER NOT NULL,
    names_nominees BOOLEAN,       -- null where the race's nominees are not known yet
    CHECK (end_date >= start_date)
);
CREATE INDEX IF NOT EXISTS polls_race_end ON core.polls (race_id, end_date);

CREATE TABLE IF NOT EXISTS core.poll_answers (
    poll_key      TEXT NOT NULL REFERENCES core.polls (poll_key) ON DELETE CASCADE,
    candidate_id  INTEGER NOT NULL REFERENCES core.candidates (candidate_id),
    pct           DOUBLE PRECISION NOT NULL CHECK (pct >= 0 AND pct <= 100),
    PRIMARY KEY (poll_key, candidate_id)
);

CREATE TABLE IF NOT EXISTS core.results (
    race_id       TEXT NOT NULL REFERENCES core.races (race_id),
    candidate_id  INTEGER NOT NULL REFERENCES core.candidates (candidate_id),
    stage         TEXT NOT NULL,
    special       BOOLEAN,
    votes         DOUBLE PRECISION,
    pct           DOUBLE PRECISION,
    winner        BOOLEAN,
    source        TEXT NOT NULL,
    PRIMARY KEY (race_id, candidate_id, stage)
);
