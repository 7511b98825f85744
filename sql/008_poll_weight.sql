-- Per race: 1 - var(posterior Election-Day share) / var(prior Election-Day share), the share of the
-- prior's Election-Day variance the polls removed. NULL when the prior variance is not known.
ALTER TABLE forecast.race_forecasts ADD COLUMN IF NOT EXISTS poll_weight DOUBLE PRECISION;
