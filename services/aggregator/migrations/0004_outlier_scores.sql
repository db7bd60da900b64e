-- Robust rules: each silo's outlier score for the round (distance and cosine to the robust centre, its norm, flag).
ALTER TABLE round_silos ADD COLUMN outlier jsonb;
