-- Rebuild the canonical model from raw.* in one transaction (the caller holds it).
--
-- One question per poll. 538 files list a poll once per question (LV and RV versions, head-to-head
-- and multi-candidate versions). For each poll we keep exactly one question, chosen by, in order:
--   1. it has both a Democratic and a Republican answer (the two-party share needs both);
--   2. it names the race's general-election nominees (matched by name against the certified
--      results), over hypothetical match-ups such as Warren v Trump asked in 2019; the Stanford
--      files name no candidates, only the two parties' nominees, so their answers count as nominees;
--   3. the richer source, when two sources carry the same poll (full 538 layout over a column subset);
--   4. population: likely voters, then registered, then voters, then adults, then unknown;
--   5. fewest answers (the head-to-head over versions that name third-party candidates);
--   6. the earliest line in the file, so that the choice is deterministic.
-- A poll none of whose questions names both nominees keeps names_nominees = false and is not shown
-- to the model; where a race has no certified result yet, names_nominees is null.
-- The ids restart at 1 through setval, not TRUNCATE ... RESTART IDENTITY, which needs ownership of the
-- sequences: runs rebuild core as the runtime role (sql/011_runtime_role.sql), which owns nothing.
TRUNCATE core.poll_answers, core.polls, core.results, core.candidates, core.pollsters, core.races CASCADE;
SELECT setval(pg_get_serial_sequence('core.candidates', 'candidate_id'), 1, false);
SELECT setval(pg_get_serial_sequence('core.pollsters', 'pollster_id'), 1, false);

INSERT INTO core.races (race_id, cycle, office, state, district, senate_class)
SELECT DISTINCT ON (race_id) race_id, cycle, office, state, district, senate_class
FROM (
    SELECT race_id, cycle, office, state, district, senate_class FROM raw.poll_answers
    UNION ALL
    SELECT race_id, cycle, office, state, district, senate_class FROM raw.results
) r
ORDER BY race_id;

CREATE TEMP TABLE nominee ON COMMIT DROP AS
SELECT DISTINCT race_id, party, lower(candidate) AS name
FROM raw.results
WHERE stage = 'general' AND party IN ('DEM', 'REP') AND candidate IS NOT NULL;
CREATE INDEX ON nominee (race_id, party);
ANALYZE nominee;

CREATE TEMP TABLE chosen_question ON COMMIT DROP AS
WITH answer AS (
    SELECT a.poll_key, a.source, a.question_id, a.layout, a.population, a.party, a.line_no,
           EXISTS (SELECT 1 FROM nominee n WHERE n.race_id = a.race_id) AS nominees_known,
           EXISTS (SELECT 1 FROM nominee n
                   WHERE n.race_id = a.race_id AND n.party = a.party
                     AND ((a.layout LIKE 'stanford%' AND a.candidate IN ('Democrat', 'Republican'))
                          OR (length(a.candidate) >= 3 AND position(lower(a.candidate) IN n.name) > 0)))
           AS is_nominee
    FROM raw.poll_answers a
),
q AS (
    SELECT poll_key, source, question_id,
           min(layout) AS layout,
           max(population) AS population,
           count(*) AS n_answers,
           bool_or(party = 'DEM') AND bool_or(party = 'REP') AS two_party,
           CASE WHEN bool_or(nominees_known)
                THEN bool_or(party = 'DEM' AND is_nominee) AND bool_or(party = 'REP' AND is_nominee)
           END AS names_nominees,
           min(line_no) AS first_line
    FROM answer
    GROUP BY poll_key, source, question_id
),
ranked AS (
    SELECT q.*,
           row_number() OVER (
               PARTITION BY poll_key
               ORDER BY two_party DESC,
                        names_nominees DESC NULLS LAST,
                        CASE WHEN layout LIKE '%subset%' THEN 1 ELSE 0 END,
                        CASE population WHEN 'lv' THEN 0 WHEN 'rv' THEN 1 WHEN 'v' THEN 2 WHEN 'a' THEN 3 ELSE 4 END,
                        n_answers, source, first_line
           ) AS rn,
           count(*) OVER (PARTITION BY poll_key) AS n_questions
    FROM q
)
SELECT r.poll_key, r.source, r.question_id, r.n_questions, r.names_nominees,
       (SELECT count(DISTINCT source) FROM raw.poll_answers s WHERE s.poll_key = r.poll_key) AS n_sources
FROM ranked r
WHERE rn = 1;

INSERT INTO core.pollsters (name)
SELECT DISTINCT a.pollster
FROM raw.poll_answers a JOIN chosen_question c USING (poll_key, source, question_id)
ORDER BY 1;

INSERT INTO core.candidates (race_id, name, party)
SELECT DISTINCT race_id, candidate, party
FROM (
    SELECT a.race_id, a.candidate, a.party
    FROM raw.poll_answers a JOIN chosen_question c USING (poll_key, source, question_id)
    UNION ALL
    SELECT race_id, candidate, party FROM raw.results WHERE candidate IS NOT NULL
) x
ORDER BY race_id, candidate, party;

INSERT INTO core.polls (poll_key, source, poll_id, question_id, race_id, pollster_id, sponsor, partisan,
                        stage, start_date, end_date, created_at, sample_size, population, mode,
                        n_questions, n_sources, names_nominees)
SELECT DISTINCT ON (a.poll_key)
       a.poll_key, a.source, a.poll_id, a.question_id, a.race_id, p.pollster_id, a.sponsor, a.partisan,
       a.stage, a.start_date, a.end_date, a.created_at, a.sample_size, a.population, a.mode,
       c.n_questions, c.n_sources, c.names_nominees
FROM raw.poll_answers a
JOIN chosen_question c USING (poll_key, source, question_id)
JOIN core.pollsters p ON p.name = a.pollster
ORDER BY a.poll_key, a.line_no;

-- A candidate named twice in one question is a source error; the first line wins and the rest are
-- visible in raw.poll_answers.
INSERT INTO core.poll_answers (poll_key, candidate_id, pct)
SELECT DISTINCT ON (a.poll_key, k.candidate_id) a.poll_key, k.candidate_id, a.pct
FROM raw.poll_answers a
JOIN chosen_question c USING (poll_key, source, question_id)
JOIN core.candidates k ON k.race_id = a.race_id AND k.name = a.candidate
                       AND k.party IS NOT DISTINCT FROM a.party
ORDER BY a.poll_key, k.candidate_id, a.line_no;

-- Fusion tickets (NY) list one candidate on several ballot lines: their votes add up.
INSERT INTO core.results (race_id, candidate_id, stage, special, votes, pct, winner, source)
SELECT r.race_id, k.candidate_id, coalesce(r.stage, 'general'), bool_or(r.special),
       sum(r.votes), sum(r.pct), bool_or(r.winner), min(r.source)
FROM raw.results r
JOIN core.candidates k ON k.race_id = r.race_id AND k.name = r.candidate
                       AND k.party IS NOT DISTINCT FROM r.party
GROUP BY r.race_id, k.candidate_id, coalesce(r.stage, 'general');
