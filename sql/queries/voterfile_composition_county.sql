-- Electorate composition by county (:cycle): size, active voters, modelled turnout, and the race mix
-- of the expected electorate (shares weighted by turnout score), with party registration counts.
-- A plain SELECT whose columns are voterfile.composition_county's, in order: aggregate.py runs it as
-- CREATE TEMP TABLE ... AS (which, unlike INSERT ... SELECT, may use a parallel plan) and inserts that.
-- Per voter row it does as little as it can: one CASE per race sum, the "other" share is the rest,
-- and county names come from voterfile.counties after the aggregation.
SELECT a.cycle, a.state_cd, a.county_id, coalesce(c.county_desc, a.county_id) AS county_desc,
       a.registered, a.active, a.expected_voters,
       a.white / a.expected_voters AS share_white,
       a.black / a.expected_voters AS share_black,
       a.hispanic / a.expected_voters AS share_hispanic,
       greatest(1 - (a.white + a.black + a.hispanic) / a.expected_voters, 0) AS share_other,
       a.dem_registered, a.rep_registered, a.una_registered
FROM (
    SELECT cycle, state_cd, county_id,
           count(*) AS registered,
           count(*) FILTER (WHERE status_cd = 'A') AS active,
           sum(turnout_score::double precision) AS expected_voters,
           coalesce(sum(CASE WHEN ethnic_code = 'HL' THEN 0 WHEN race_code = 'W' THEN turnout_score END), 0)
               ::double precision AS white,
           coalesce(sum(CASE WHEN ethnic_code = 'HL' THEN 0 WHEN race_code = 'B' THEN turnout_score END), 0)
               ::double precision AS black,
           coalesce(sum(CASE WHEN ethnic_code = 'HL' THEN turnout_score END), 0)::double precision AS hispanic,
           count(*) FILTER (WHERE party_cd = 'DEM') AS dem_registered,
           count(*) FILTER (WHERE party_cd = 'REP') AS rep_registered,
           count(*) FILTER (WHERE party_cd = 'UNA') AS una_registered
    FROM voterfile.voters
    WHERE cycle = :cycle
    GROUP BY cycle, state_cd, county_id
) AS a
LEFT JOIN voterfile.counties AS c ON c.county_id = a.county_id
