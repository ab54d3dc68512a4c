-- 0006: an anomaly score is finite or NULL. A NaN would be served as null yet sort first
-- (Postgres orders NaN above every number); scores stored before the check are cleared.
UPDATE runs SET anomaly_score = NULL, anomaly_detail = NULL
 WHERE anomaly_score IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8);
ALTER TABLE runs ADD CONSTRAINT runs_anomaly_score_finite
    CHECK (anomaly_score IS NULL OR anomaly_score BETWEEN 0 AND 1e300);
