-- Fair claiming and max_in_flight_per_endpoint.
--
-- The claim now takes due deliveries endpoint by endpoint, a bounded
-- share each, instead of the oldest due first across all endpoints (one
-- endpoint's backlog kept every other endpoint waiting behind it).  So
-- the due index leads with the endpoint: (endpoint_id, due_at) finds an
-- endpoint's oldest due deliveries, and whether it has any due, in one
-- index dive per endpoint.  It replaces the index on due_at alone, which
-- nothing else reads, so a claim or a result still rewrites one
-- secondary index entry per delivery, as before.
--
-- endpoint_slots holds how many attempts each sweep may have in flight to
-- each endpoint (holder: a random id per hookfan-sweep process), granted
-- by the claim for the length of a lease: a sweep that dies gives its
-- slots back when their "until" passes, whatever it was doing.  The row
-- with holder '' is the endpoint's claim lock: a claim takes it (FOR
-- UPDATE SKIP LOCKED) before it counts the slots others hold, so two
-- sweeps never grant the same slot.
--
-- In place (no table rebuild); safe to run again.

ALTER TABLE deliveries
  ADD KEY IF NOT EXISTS delivery_endpoint_due (endpoint_id, due_at),
  DROP KEY IF EXISTS delivery_due;

CREATE TABLE IF NOT EXISTS endpoint_slots (
  endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  holder CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  slots INT UNSIGNED NOT NULL DEFAULT 0,
  until DATETIME(3) NULL,
  PRIMARY KEY (endpoint_id, holder),
  KEY slot_holder (holder)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
