-- Voter files (issue 6): a statewide voter file in the North Carolina State Board of Elections layout
-- (ncvoter + ncvhis, see ../shared/data/raw/nc-voter-file-schema/layout_ncvoter.txt), one snapshot per
-- election cycle, for all 50 states + DC.
--
-- NC name -> column here: ncid -> voter_id (bigint: state FIPS x 10^9 + sequence, unique nationally),
-- state_cd, county_id/county_desc (county FIPS and name), precinct_abbrv, cong_dist_abbrv,
-- birth_year, gender_code (M/F/U), race_code (W/B/A/I/O/M/U), ethnic_code (HL/NL/UN), party_cd
-- (DEM/REP/UNA/LIB; NULL in states without party registration), registr_dt, status_cd (A/I) and
-- voter_status_desc. Two modelled columns, as commercial files carry them: educ_cd (nohs, hs, somecol,
-- col, postgrad) and turnout_score (P(vote) at the snapshot's election).
--
-- Partitioned by LIST (state_cd): a state is loaded, replaced and aggregated on its own partition,
-- and the planner aggregates partition-wise. See README "Voter files" for the 200M-row layout.
CREATE SCHEMA IF NOT EXISTS voterfile;

CREATE TABLE IF NOT EXISTS voterfile.voters (
    cycle             SMALLINT NOT NULL,
    state_cd          CHAR(2) NOT NULL,
    voter_id          BIGINT NOT NULL,
    county_id         CHAR(5) NOT NULL,
    county_desc       TEXT NOT NULL,
    precinct_abbrv    TEXT,
    cong_dist_abbrv   TEXT,
    birth_year        SMALLINT NOT NULL,
    gender_code       CHAR(1) NOT NULL CHECK (gender_code IN ('M', 'F', 'U')),
    race_code         CHAR(1) NOT NULL CHECK (race_code IN ('W', 'B', 'A', 'I', 'O', 'M', 'U')),
    ethnic_code       CHAR(2) NOT NULL CHECK (ethnic_code IN ('HL', 'NL', 'UN')),
    party_cd          CHAR(3) CHECK (party_cd IN ('DEM', 'REP', 'UNA', 'LIB')),
    registr_dt        DATE NOT NULL,
    status_cd         CHAR(1) NOT NULL CHECK (status_cd IN ('A', 'I')),
    educ_cd           TEXT NOT NULL CHECK (educ_cd IN ('nohs', 'hs', 'somecol', 'col', 'postgrad')),
    turnout_score     REAL NOT NULL CHECK (turnout_score BETWEEN 0 AND 1),
    PRIMARY KEY (cycle, state_cd, voter_id)
) PARTITION BY LIST (state_cd);

-- ncvhis: one row per voter per election voted in (a voter who did not vote has no row).
CREATE TABLE IF NOT EXISTS voterfile.vote_history (
    cycle             SMALLINT NOT NULL,
    state_cd          CHAR(2) NOT NULL,
    voter_id          BIGINT NOT NULL,
    county_id         CHAR(5) NOT NULL,
    election_lbl      DATE NOT NULL,
    election_desc     TEXT NOT NULL,
    voting_method     TEXT NOT NULL
) PARTITION BY LIST (state_cd);

DO $$
DECLARE s TEXT;
BEGIN
    FOREACH s IN ARRAY ARRAY['AL','AK','AZ','AR','CA','CO','CT','DE','DC','FL','GA','HI','ID','IL','IN',
        'IA','KS','KY','LA','ME','MD','MA','MI','MN','MS','MO','MT','NE','NV','NH','NJ','NM','NY','NC','ND',
        'OH','OK','OR','PA','RI','SC','SD','TN','TX','UT','VT','VA','WA','WV','WI','WY'] LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS voterfile.voters_%s PARTITION OF voterfile.voters '
                       'FOR VALUES IN (%L)', lower(s), s);
        EXECUTE format('CREATE TABLE IF NOT EXISTS voterfile.vote_history_%s PARTITION OF '
                       'voterfile.vote_history FOR VALUES IN (%L)', lower(s), s);
    END LOOP;
END $$;

-- One row per generated (cycle, state): what was asked and what came out.
CREATE TABLE IF NOT EXISTS voterfile.generation_runs (
    cycle          SMALLINT NOT NULL,
    state_cd       CHAR(2) NOT NULL,
    seed           BIGINT NOT NULL,
    fraction       DOUBLE PRECISION NOT NULL,
    frame_source   TEXT NOT NULL,
    people         BIGINT NOT NULL,
    voters         BIGINT NOT NULL,
    history_rows   BIGINT NOT NULL,
    calibration    JSONB NOT NULL,
    generated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle, state_cd)
);

-- Electorate composition by state x demographic cell (the MRP post-stratification frame).
CREATE TABLE IF NOT EXISTS voterfile.composition_state (
    cycle            SMALLINT NOT NULL,
    state_cd         CHAR(2) NOT NULL,
    race_eth         TEXT NOT NULL,
    educ_cd          TEXT NOT NULL,
    age4             SMALLINT NOT NULL,
    sex              TEXT NOT NULL,
    registered       BIGINT NOT NULL,
    expected_voters  DOUBLE PRECISION NOT NULL,
    share_of_state   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (cycle, state_cd, race_eth, educ_cd, age4, sex)
);

-- Electorate composition by county: size, modelled turnout, race and party mix.
CREATE TABLE IF NOT EXISTS voterfile.composition_county (
    cycle            SMALLINT NOT NULL,
    state_cd         CHAR(2) NOT NULL,
    county_id        CHAR(5) NOT NULL,
    county_desc      TEXT NOT NULL,
    registered       BIGINT NOT NULL,
    active           BIGINT NOT NULL,
    expected_voters  DOUBLE PRECISION NOT NULL,
    share_white      DOUBLE PRECISION NOT NULL,
    share_black      DOUBLE PRECISION NOT NULL,
    share_hispanic   DOUBLE PRECISION NOT NULL,
    share_other      DOUBLE PRECISION NOT NULL,
    dem_registered   BIGINT NOT NULL,
    rep_registered   BIGINT NOT NULL,
    una_registered   BIGINT NOT NULL,
    PRIMARY KEY (cycle, state_cd, county_id)
);

-- MRP state estimates of the Democratic two-party vote share (survey of `survey_cycle`,
-- post-stratified on the voter-file composition of `cycle`).
CREATE TABLE IF NOT EXISTS forecast.mrp_state_estimates (
    cycle            SMALLINT NOT NULL,
    survey_cycle     SMALLINT NOT NULL,
    state            CHAR(2) NOT NULL,
    mean             DOUBLE PRECISION NOT NULL CHECK (mean BETWEEN 0 AND 1),
    sd               DOUBLE PRECISION NOT NULL,
    q10              DOUBLE PRECISION NOT NULL,
    q90              DOUBLE PRECISION NOT NULL,
    n_respondents    INTEGER NOT NULL,
    raw_mean         DOUBLE PRECISION,
    actual           DOUBLE PRECISION,
    model_version    TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle, survey_cycle, state)
);

-- One row per MRP fit: diagnostics and validation against the certified result.
CREATE TABLE IF NOT EXISTS forecast.mrp_runs (
    cycle            SMALLINT NOT NULL,
    survey_cycle     SMALLINT NOT NULL,
    model_version    TEXT NOT NULL,
    sampler          TEXT NOT NULL,
    draws            INTEGER NOT NULL,
    chains           INTEGER NOT NULL,
    max_rhat         DOUBLE PRECISION,
    min_ess_bulk     DOUBLE PRECISION,
    divergences      INTEGER,
    rmse_mrp         DOUBLE PRECISION,
    rmse_raw         DOUBLE PRECISION,
    n_states_scored  INTEGER,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle, survey_cycle)
);
