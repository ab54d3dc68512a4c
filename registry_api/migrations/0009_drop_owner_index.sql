-- 0009: runs_owner_idx (owner_id) is the leading column of runs_owner_scenario_created_idx
-- (0007), which serves every lookup by owner (the history read, owner filters, the users
-- foreign key); keeping both only made each publish update one more index.
DROP INDEX IF EXISTS runs_owner_idx;
