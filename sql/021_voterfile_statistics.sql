-- county_id (5-digit FIPS) determines state_cd. Without this the planner multiplies the two columns'
-- distinct counts (about 130,000 groups instead of 3,141), judges the county aggregation too big for
-- a hash table and sorts the whole file instead.
CREATE STATISTICS IF NOT EXISTS voterfile.voters_geo (ndistinct, dependencies)
    ON state_cd, county_id FROM voterfile.voters;
