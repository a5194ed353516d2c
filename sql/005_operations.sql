-- Operations: the attempt counters GET /metrics reads, and the workspace's
-- ops endpoint, which receives the operational webhooks.

-- Attempts by outcome class and duration bucket, added to by every sweep
-- in the transaction that writes its results, so counts from every host
-- add up and survive restarts.  A batch adds to one of a few shards,
-- picked at random, so that sweeps committing at the same moment seldom
-- wait on each other's row lock; a reader sums the shards.
--   outcome: 2xx, 3xx, 4xx, 5xx, 1xx, timeout, connect, dns, blocked, error
--   bucket: the index of the histogram bound (src/metrics.h) the duration
--     falls under; the last is +Inf
--   gave_up: of these attempts, how many were a delivery's last (failed)
-- No foreign key: a key check would lock the workspace row on every batch.
CREATE TABLE IF NOT EXISTS attempt_counters (
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  outcome VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  bucket TINYINT UNSIGNED NOT NULL,
  shard TINYINT UNSIGNED NOT NULL,
  attempts BIGINT UNSIGNED NOT NULL DEFAULT 0,
  duration_ms BIGINT UNSIGNED NOT NULL DEFAULT 0,
  gave_up BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, outcome, bucket, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The endpoint of the workspace that receives its operational webhooks
-- (endpoint.disabled, message.attempt.failing, ...); NULL: none.
ALTER TABLE workspaces
  ADD COLUMN IF NOT EXISTS ops_endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL;

-- Deliveries for which message.attempt.failing was sent: the success that
-- follows sends message.attempt.recovered.  Gone with the delivery.
CREATE TABLE IF NOT EXISTS ops_failing_deliveries (
  delivery_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (delivery_id),
  CONSTRAINT ops_failing_delivery FOREIGN KEY (delivery_id)
    REFERENCES deliveries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
