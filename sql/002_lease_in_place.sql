-- A claim rewrites every claimed delivery; this makes that cheap.
--
-- The claim leaves the status 'pending': a delivery is "sending" while its
-- lease holds (lease_token set, due_at, the lease's end, ahead), which
-- hookfan-admin shows.  Setting 'sending' rewrote the (endpoint_id,
-- status) index entry of every delivery twice.
--
-- InnoDB rewrites a record in place only when no column changes size, and
-- a NULL that becomes a value does.  So "no lease" becomes '' in the
-- fixed-size lease_token, and the two other lease columns go:
-- lease_expires_at always equalled due_at while a delivery was sending,
-- and lease_owner was read by nobody.
--
-- Together: about 8% less CPU per delivery for the whole sweep (122 ->
-- 110-114 us in the benchmark on a 2-core VM).
--
-- Stop the sweeps before migrating (ingest may keep running): the ALTER
-- rebuilds the table.  Safe to run again if it stops half way.

-- First, so that rows ingest inserts from now on have no NULL to convert.
ALTER TABLE deliveries ALTER COLUMN lease_token SET DEFAULT '';

UPDATE deliveries SET status = 'pending' WHERE status = 'sending';

-- Outside strict mode the rebuild itself turns the NULLs into '' (one pass
-- over the table, no UPDATE of every old row).  The session's mode comes
-- back before routines.sql: a routine keeps the mode it was created in.
SET @hf_sql_mode = @@SESSION.sql_mode;
SET SESSION sql_mode = '';
ALTER TABLE deliveries
  MODIFY lease_token CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  DROP COLUMN IF EXISTS lease_owner,
  DROP COLUMN IF EXISTS lease_expires_at;
SET SESSION sql_mode = @hf_sql_mode;
