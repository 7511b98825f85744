-- Electorate composition by county (:cycle): size, active voters, modelled turnout, and the race mix
-- of the expected electorate (shares weighted by turnout score), with party registration counts.
-- A plain SELECT whose columns are voterfile.composition_county's, in order: aggregate.py runs it as
-- CREATE TEMP TABLE ... AS (which, unlike INSERT ... SELECT, may use a parallel plan) and inserts that.
-- County names come from voterfile.counties after the aggregation, not from every voter row.
SELECT a.cycle, a.state_cd, a.county_id, coalesce(c.county_desc, a.county_id) AS county_desc,
       a.registered, a.active, a.expected_voters, a.share_white, a.share_black, a.share_hispanic,
       a.share_other, a.dem_registered, a.rep_registered, a.una_registered
FROM (
    SELECT cycle, state_cd, county_id,
           count(*) AS registered,
           count(*) FILTER (WHERE status_cd = 'A') AS active,
           sum(turnout_score::double precision) AS expected_voters,
           coalesce(sum(turnout_score) FILTER (WHERE ethnic_code <> 'HL' AND race_code = 'W'), 0)
               / sum(turnout_score) AS share_white,
           coalesce(sum(turnout_score) FILTER (WHERE ethnic_code <> 'HL' AND race_code = 'B'), 0)
               / sum(turnout_score) AS share_black,
           coalesce(sum(turnout_score) FILTER (WHERE ethnic_code = 'HL'), 0) / sum(turnout_score) AS share_hispanic,
           coalesce(sum(turnout_score) FILTER (WHERE ethnic_code <> 'HL' AND race_code NOT IN ('W', 'B')), 0)
               / sum(turnout_score) AS share_other,
           count(*) FILTER (WHERE party_cd = 'DEM') AS dem_registered,
           count(*) FILTER (WHERE party_cd = 'REP') AS rep_registered,
           count(*) FILTER (WHERE party_cd = 'UNA') AS una_registered
    FROM voterfile.voters
    WHERE cycle = :cycle
    GROUP BY cycle, state_cd, county_id
) AS a
LEFT JOIN voterfile.counties AS c ON c.county_id = a.county_id
