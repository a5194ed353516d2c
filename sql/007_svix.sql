-- hookfan schema, migration 7: what the Svix-compatible API needs.
--
-- applications.uid: the caller's own name for an application, which the
-- Svix API accepts wherever it takes an application id; unique in its
-- workspace (NULLs do not collide).
--
-- svix_event_ids: a message's eventId, which makes a second message with
-- the same eventId in the same application a conflict.  Written in the
-- transaction that stores the message, so one never exists without the
-- other.
--
-- Safe to run again if it stops half way.

ALTER TABLE applications
  ADD COLUMN IF NOT EXISTS uid VARCHAR(256) CHARACTER SET ascii COLLATE ascii_bin NULL;
CREATE UNIQUE INDEX IF NOT EXISTS application_uid ON applications (workspace_id, uid);

CREATE TABLE IF NOT EXISTS svix_event_ids (
  application_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_id VARCHAR(256) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  message_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (application_id, event_id),
  KEY svix_event_message (message_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- event_types.description: what Svix's event types carry beside the name.
ALTER TABLE event_types
  ADD COLUMN IF NOT EXISTS description VARCHAR(1024) NOT NULL DEFAULT '';
