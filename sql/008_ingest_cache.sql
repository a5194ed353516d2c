-- hookfan schema, migration 8: what lets ingest skip its lookup.
--
-- workspaces.ingest_epoch: bumped in the transaction of every change that
-- alters what an ingest request decides from the workspace's rows (a key
-- revoked, an endpoint made, enabled, disabled or removed, a subscription
-- added or removed, an application made, changed or removed).  A FastCGI
-- process keeps a lookup it has made, with the epoch it read, for up to a
-- second; the store refuses a lookup whose epoch is no longer the
-- workspace's, and the process looks up again.  So a change takes effect
-- at once, and the usual request costs one round trip, the store.
--
-- endpoint_backlog: whether an endpoint had max_pending_per_endpoint or
-- more deliveries pending when it was last counted, and when.  Counting
-- reads up to that many index entries; one request per endpoint counts
-- again once the reading is 5 seconds old, and the others take its
-- answer, so ingest's cost does not grow with a backlog.
--
-- Safe to run again if it stops half way.

ALTER TABLE workspaces
  ADD COLUMN IF NOT EXISTS ingest_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS endpoint_backlog (
  endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  checked_at DATETIME(3) NOT NULL,
  is_full TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint_id),
  CONSTRAINT backlog_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every endpoint has its row from its creation (hf_endpoint_create), as
-- old as can be: the first request counts it.
INSERT IGNORE INTO endpoint_backlog (endpoint_id, checked_at, is_full)
  SELECT id, '1970-01-01', 0 FROM endpoints;
