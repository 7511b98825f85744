-- County names once per county instead of once per voter in the aggregation: the county composition
-- groups by county_id alone and joins the names afterwards (min(county_desc) over every voter row
-- cost about 10% of the query).
CREATE TABLE IF NOT EXISTS voterfile.counties (
    county_id    CHAR(5) PRIMARY KEY,
    state_cd     CHAR(2) NOT NULL,
    county_desc  TEXT NOT NULL
);
