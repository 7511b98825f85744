CREATE TABLE IF NOT EXISTS ops.load_runs (
    load_id        BIGSERIAL PRIMARY KEY,
    source         TEXT NOT NULL,
    layout         TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    rows_read      INTEGER NOT NULL,
    rows_loaded    INTEGER NOT NULL,
    rows_rejected  INTEGER NOT NULL,
    answer_rows    INTEGER NOT NULL,
    started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at    TIMESTAMPTZ,
    status         TEXT NOT NULL CHECK (status IN ('running', 'loaded', 'failed')),
    -- the reconciliation every load must pass: each data line is either loaded or rejected
    CONSTRAINT load_reconciles CHECK (status <> 'loaded' OR rows_read = rows_loaded + rows_rejected)
);
CREATE INDEX IF NOT EXISTS load_runs_source_sha ON ops.load_runs (source, sha256);

CREATE TABLE IF NOT EXISTS ops.rejected_rows (
    load_id   BIGINT NOT NULL REFERENCES ops.load_runs (load_id) ON DELETE CASCADE,
    source    TEXT NOT NULL,
    line_no   INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('invalid', 'out_of_scope')),
    field     TEXT,
    reason    TEXT NOT NULL,
    raw       JSONB
);
CREATE INDEX IF NOT EXISTS rejected_rows_source ON ops.rejected_rows (source, line_no);
