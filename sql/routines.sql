-- hookfan's stored routines.  Unlike the numbered migrations this file is
-- applied by every `hookfan-admin migrate`, after them (CREATE OR REPLACE):
-- mysqldump leaves routines out unless given --routines, and a database
-- restored from such a dump heals with one migrate.  The DELIMITER lines
-- are for the mariadb client; the migration runner reads them too.
--
-- hf_ingest_store: the write half of an ingest request in one round trip.
--
-- hookfan.fcgi stores a message and its deliveries, then commits.  As three
-- statements that is three round trips to the server, each one a wake-up
-- of a server thread and of the FastCGI process: most of what an ingest
-- request costs besides the commit itself (bench/README.md).  Called as one
-- prepared CALL, the work is the same and the waiting happens once.
--
-- The procedure joins the caller's transaction (hookfan's connections run
-- with autocommit off, so the request's earlier reads and its rate-limit
-- count are part of it) and ends it with COMMIT.  Under autocommit each
-- INSERT would commit on its own, so that is refused.
--
-- p_deliveries is a JSON array of [delivery id, endpoint id] pairs and
-- p_count their number: a short insert is an error, not a silent loss.
-- p_ingest_epoch is the workspace's ingest_epoch the caller decided on
-- (sql/008_ingest_cache.sql): once the workspace has changed since, the
-- decision may be wrong, so nothing is stored and the caller is told to
-- redo the transaction (error 32001, which hookfan reads as "redo").
-- SQL SECURITY INVOKER: it runs with the caller's privileges, whichever
-- account applied the migration.
DELIMITER //
CREATE OR REPLACE PROCEDURE hf_ingest_store(
  IN p_id VARCHAR(40) CHARACTER SET ascii,
  IN p_workspace_id VARCHAR(40) CHARACTER SET ascii,
  IN p_environment_id VARCHAR(40) CHARACTER SET ascii,
  IN p_application_id VARCHAR(40) CHARACTER SET ascii,
  IN p_event_type_id VARCHAR(40) CHARACTER SET ascii,
  IN p_event_type VARCHAR(128) CHARACTER SET ascii,
  IN p_payload MEDIUMTEXT CHARACTER SET utf8mb4,
  IN p_metadata TEXT CHARACTER SET utf8mb4,
  IN p_status VARCHAR(16) CHARACTER SET ascii,
  IN p_created_at DATETIME(3),
  IN p_deliveries LONGTEXT CHARACTER SET utf8mb4,
  IN p_count INT UNSIGNED,
  IN p_ingest_epoch BIGINT UNSIGNED)
  MODIFIES SQL DATA
  SQL SECURITY INVOKER
BEGIN
  DECLARE v_stored INT UNSIGNED DEFAULT 0;
  IF @@autocommit THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'hf_ingest_store needs autocommit off: it commits the caller''s transaction';
  END IF;
  INSERT INTO messages (id, workspace_id, environment_id, application_id,
                        event_type_id, event_type, payload, metadata, status,
                        created_at, updated_at)
  VALUES (p_id, p_workspace_id, p_environment_id, p_application_id,
          p_event_type_id, p_event_type, p_payload, p_metadata, p_status,
          p_created_at, p_created_at);
  -- The deliveries' INSERT checks the epoch itself (a statement of its
  -- own cost a fifth of the CALL): a stale one inserts none of them.
  -- Only when none were stored (or there were none to store) is the
  -- epoch read, to tell why; the IFs are nested so that the usual CALL
  -- never runs that read.
  IF p_count > 0 THEN
    INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts,
                            due_at, created_at, updated_at)
    SELECT j.id, p_id, j.endpoint_id, 'pending', 0, p_created_at,
           p_created_at, p_created_at
    FROM JSON_TABLE(p_deliveries, '$[*]' COLUMNS (
      id VARCHAR(40) CHARACTER SET ascii PATH '$[0]' ERROR ON EMPTY,
      endpoint_id VARCHAR(40) CHARACTER SET ascii PATH '$[1]' ERROR ON EMPTY)) AS j
    JOIN workspaces w ON w.id = p_workspace_id AND w.ingest_epoch = p_ingest_epoch;
    SET v_stored = ROW_COUNT();
  END IF;
  IF v_stored = 0 THEN
    IF NOT EXISTS (SELECT 1 FROM workspaces
                   WHERE id = p_workspace_id AND ingest_epoch = p_ingest_epoch) THEN
      SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 32001,
        MESSAGE_TEXT = 'hf_ingest_store: the workspace changed since the lookup; look up again';
    END IF;
  END IF;
  IF v_stored <> p_count THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'hf_ingest_store: fewer deliveries inserted than given';
  END IF;
  COMMIT;
END
//
DELIMITER ;

-- hf_ingest_store_deliveries: the deliveries of several messages at once,
-- then COMMIT: the second half of a shared ingest commit, whose messages
-- the caller has just inserted in the same transaction (one multi-row
-- INSERT; hf_ingest_store_many in src/db_ingest.c).  Requests that arrive
-- together thus share two statements and one commit.
--
-- p_deliveries is a JSON array of [delivery id, message id, endpoint id,
-- workspace id, ingest_epoch, created_at], p_count its length.  As in
-- hf_ingest_store, a delivery is inserted only while its workspace still
-- has the epoch its message was decided on; when any is missing, nothing
-- is committed and the caller is told to redo (32001): it then stores
-- each message alone, and the stale ones look up again.  The JSON rows
-- are read first (STRAIGHT_JOIN), each finding its workspace by key.
DELIMITER //
CREATE OR REPLACE PROCEDURE hf_ingest_store_deliveries(
  IN p_deliveries LONGTEXT CHARACTER SET utf8mb4,
  IN p_count INT UNSIGNED)
  MODIFIES SQL DATA
  SQL SECURITY INVOKER
BEGIN
  IF @@autocommit THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'hf_ingest_store_deliveries needs autocommit off: it commits the caller''s transaction';
  END IF;
  INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts,
                          due_at, created_at, updated_at)
  SELECT j.id, j.message_id, j.endpoint_id, 'pending', 0, j.created_at,
         j.created_at, j.created_at
  FROM JSON_TABLE(p_deliveries, '$[*]' COLUMNS (
    id VARCHAR(40) CHARACTER SET ascii PATH '$[0]' ERROR ON EMPTY,
    message_id VARCHAR(40) CHARACTER SET ascii PATH '$[1]' ERROR ON EMPTY,
    endpoint_id VARCHAR(40) CHARACTER SET ascii PATH '$[2]' ERROR ON EMPTY,
    workspace_id VARCHAR(40) CHARACTER SET ascii PATH '$[3]' ERROR ON EMPTY,
    ingest_epoch BIGINT UNSIGNED PATH '$[4]' ERROR ON EMPTY,
    created_at DATETIME(3) PATH '$[5]' ERROR ON EMPTY)) AS j
  STRAIGHT_JOIN workspaces w
    ON w.id = j.workspace_id AND w.ingest_epoch = j.ingest_epoch;
  IF ROW_COUNT() <> p_count THEN
    SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 32001,
      MESSAGE_TEXT = 'hf_ingest_store_deliveries: a workspace changed since the lookup; store alone';
  END IF;
  COMMIT;
END
//
DELIMITER ;
