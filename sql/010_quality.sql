-- Data quality (issue 5): failed loads keep their error, failed fits keep their diagnostics, and polls
-- that two sources carry are compared field by field.

-- A file that cannot be read at all (unknown layout, not UTF-8, empty) is recorded as a failed load
-- with the message the user saw; its counts are zero and nothing of it is stored.
ALTER TABLE ops.load_runs ADD COLUMN IF NOT EXISTS error TEXT;

-- A fit that fails the convergence gate is stored as status 'failed' with its diagnostics and the
-- reason; it never replaces the published forecast (publish.record_failed_run).
ALTER TABLE forecast.runs ADD COLUMN IF NOT EXISTS diagnostics JSONB;
ALTER TABLE forecast.runs ADD COLUMN IF NOT EXISTS failure_reason TEXT;
ALTER TABLE forecast.runs ADD CONSTRAINT runs_failed_has_reason
    CHECK (status <> 'failed' OR failure_reason IS NOT NULL) NOT VALID;

-- Polls carried by two sources (two 538 files share poll ids) are stored once in core.polls; where
-- the sources disagree on a poll-level field, each disagreement is one row here.
CREATE OR REPLACE VIEW ops.poll_source_conflicts AS
WITH per_source AS (
    SELECT poll_key, source,
           min(pollster) AS pollster, min(start_date) AS start_date, max(end_date) AS end_date,
           max(sample_size) AS sample_size, max(population) AS population
    FROM raw.poll_answers
    GROUP BY poll_key, source
)
SELECT a.poll_key, a.source AS source_a, b.source AS source_b, v.field, v.value_a, v.value_b
FROM per_source a
JOIN per_source b ON b.poll_key = a.poll_key AND b.source > a.source
CROSS JOIN LATERAL (VALUES
    ('pollster', a.pollster, b.pollster),
    ('start_date', a.start_date::text, b.start_date::text),
    ('end_date', a.end_date::text, b.end_date::text),
    ('sample_size', a.sample_size::text, b.sample_size::text),
    ('population', a.population, b.population)
) AS v (field, value_a, value_b)
WHERE v.value_a IS DISTINCT FROM v.value_b;

-- Identity of a published forecast's content, so that publishing the same forecast again is a no-op.
ALTER TABLE forecast.runs ADD COLUMN IF NOT EXISTS content_sha256 TEXT;
