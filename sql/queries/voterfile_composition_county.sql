-- Electorate composition by county (:cycle): size, active voters, modelled turnout, and the race mix
-- of the expected electorate (shares weighted by turnout score), with party registration counts.
INSERT INTO voterfile.composition_county
    (cycle, state_cd, county_id, county_desc, registered, active, expected_voters, share_white,
     share_black, share_hispanic, share_other, dem_registered, rep_registered, una_registered)
SELECT cycle, state_cd, county_id, min(county_desc), count(*),
       count(*) FILTER (WHERE status_cd = 'A'),
       sum(turnout_score::double precision) AS ev,
       coalesce(sum(turnout_score) FILTER (WHERE ethnic_code <> 'HL' AND race_code = 'W'), 0) / sum(turnout_score),
       coalesce(sum(turnout_score) FILTER (WHERE ethnic_code <> 'HL' AND race_code = 'B'), 0) / sum(turnout_score),
       coalesce(sum(turnout_score) FILTER (WHERE ethnic_code = 'HL'), 0) / sum(turnout_score),
       coalesce(sum(turnout_score) FILTER (WHERE ethnic_code <> 'HL' AND race_code NOT IN ('W', 'B')), 0)
           / sum(turnout_score),
       count(*) FILTER (WHERE party_cd = 'DEM'),
       count(*) FILTER (WHERE party_cd = 'REP'),
       count(*) FILTER (WHERE party_cd = 'UNA')
FROM voterfile.voters
WHERE cycle = :cycle
GROUP BY cycle, state_cd, county_id
