-- hookfan schema, migration 9: backlog readings that seldom need a count.
--
-- endpoint_backlog.pending: how many deliveries the endpoint had pending
-- (at most max_pending_per_endpoint) when last counted, at counted_at
-- (NULL: never counted, or its backlog may have grown other than by a
-- new message since).  Between counts only a message adds deliveries, one
-- at most an endpoint, so the backlog is at most that count plus the
-- messages its workspace has had since: a check counts again only when
-- that sum reaches the cap, and ingest's checks cost a few recent index
-- entries however long a backlog is (src/db_ingest.c).
--
-- Safe to run again if it stops half way.

ALTER TABLE endpoint_backlog
  ADD COLUMN IF NOT EXISTS pending INT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS counted_at DATETIME(3) NULL;
