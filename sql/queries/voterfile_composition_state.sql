-- Electorate composition by state x demographic cell, weighted by modelled turnout (:cycle).
-- The cell keys are the MRP's: race_eth from race_code + ethnic_code, age4 from birth_year.
-- A plain SELECT whose columns are voterfile.composition_state's, in order: aggregate.py runs it as
-- CREATE TEMP TABLE ... AS (which, unlike INSERT ... SELECT, may use a parallel plan) and inserts that.
SELECT cycle, state_cd, race_eth, educ_cd, age4, sex, registered, expected_voters,
       expected_voters / NULLIF(sum(expected_voters) OVER (PARTITION BY state_cd), 0) AS share_of_state
FROM (
    SELECT cycle, state_cd,
           CASE WHEN ethnic_code = 'HL' THEN 'Hispanic'
                WHEN race_code = 'W' THEN 'White'
                WHEN race_code = 'B' THEN 'Black'
                ELSE 'Other' END AS race_eth,
           educ_cd,
           CASE WHEN cycle - birth_year < 30 THEN 1
                WHEN cycle - birth_year < 45 THEN 2
                WHEN cycle - birth_year < 65 THEN 3
                ELSE 4 END AS age4,
           CASE gender_code WHEN 'M' THEN 'Male' WHEN 'F' THEN 'Female' ELSE 'Unknown' END AS sex,
           count(*) AS registered,
           sum(turnout_score::double precision) AS expected_voters
    FROM voterfile.voters
    WHERE cycle = :cycle
    GROUP BY 1, 2, 3, 4, 5, 6
) AS cells
