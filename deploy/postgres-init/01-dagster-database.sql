-- Runs once, when the postgres volume is first created: a database for Dagster's own storage next
-- to the forecast data's database.
CREATE DATABASE dagster OWNER forecast;
