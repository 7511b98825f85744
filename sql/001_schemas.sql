-- Four schemas, one per kind of data: raw loads exactly as read, the canonical model the forecasts
-- are built from, forecast outputs, and operational records (loads, rejected rows).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS forecast;
CREATE SCHEMA IF NOT EXISTS ops;
