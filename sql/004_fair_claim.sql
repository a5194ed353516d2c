-- Fair claiming and max_in_flight_per_endpoint.
--
-- The claim now takes due deliveries endpoint by endpoint, a bounded
-- share each, instead of the oldest due first across all endpoints (one
-- endpoint's backlog kept every other endpoint waiting behind it).  So
-- the index of an endpoint's deliveries by status gains due_at:
-- (endpoint_id, status, due_at) gives an endpoint's oldest pending
-- delivery as its first 'pending' entry (one entry read, however many
-- finished deliveries the endpoint has: those sort under their own
-- status) and its due ones as one range.  Only a pending delivery has a
-- due_at.  It replaces (endpoint_id, status), whose every use is a prefix
-- of it, and the index on due_at alone, which nothing reads any more, so
-- a claim or a result rewrites one secondary index entry per delivery.
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
  ADD KEY IF NOT EXISTS delivery_endpoint_state (endpoint_id, status, due_at),
  DROP KEY IF EXISTS delivery_endpoint_backlog,
  DROP KEY IF EXISTS delivery_due;

CREATE TABLE IF NOT EXISTS endpoint_slots (
  endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  holder CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  slots INT UNSIGNED NOT NULL DEFAULT 0,
  until DATETIME(3) NULL,
  PRIMARY KEY (endpoint_id, holder),
  KEY slot_holder (holder)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
