-- Rows as the loaders normalised them, one per source line x candidate, with their provenance.
-- A file's rows are replaced as a whole when a new version of the file is loaded.
CREATE TABLE IF NOT EXISTS raw.poll_answers (
    load_id       BIGINT NOT NULL REFERENCES ops.load_runs (load_id),
    source        TEXT NOT NULL,
    layout        TEXT NOT NULL,
    line_no       INTEGER NOT NULL,
    poll_key      TEXT NOT NULL,   -- identity of the poll across sources (see ingest.poll_key)
    cycle         INTEGER NOT NULL,
    office        TEXT NOT NULL,
    state         TEXT NOT NULL,
    district      INTEGER,
    senate_class  INTEGER,
    race_id       TEXT NOT NULL,
    stage         TEXT,
    poll_id       TEXT NOT NULL,
    question_id   TEXT NOT NULL,
    pollster      TEXT NOT NULL,
    sponsor       TEXT,
    partisan      TEXT,
    start_date    DATE NOT NULL,
    end_date      DATE NOT NULL,
    created_at    TIMESTAMP,
    sample_size   DOUBLE PRECISION,
    population    TEXT,
    mode          TEXT,
    candidate     TEXT NOT NULL,
    party         TEXT,
    pct           DOUBLE PRECISION NOT NULL,
    UNIQUE (source, line_no, candidate)
);
CREATE INDEX IF NOT EXISTS raw_poll_answers_poll ON raw.poll_answers (poll_key, question_id);

CREATE TABLE IF NOT EXISTS raw.results (
    load_id       BIGINT NOT NULL REFERENCES ops.load_runs (load_id),
    source        TEXT NOT NULL,
    line_no       INTEGER NOT NULL,
    cycle         INTEGER NOT NULL,
    office        TEXT NOT NULL,
    state         TEXT NOT NULL,
    district      INTEGER,
    senate_class  INTEGER,
    race_id       TEXT NOT NULL,
    special       BOOLEAN,
    stage         TEXT,
    candidate     TEXT,
    party         TEXT,
    votes         DOUBLE PRECISION,
    pct           DOUBLE PRECISION,
    winner        BOOLEAN,
    UNIQUE (source, line_no)
);
