-- 0007: anomaly baselines are per owner and scenario name; index the history query.
CREATE INDEX runs_owner_scenario_created_idx ON runs (owner_id, scenario_name, created_at DESC);
