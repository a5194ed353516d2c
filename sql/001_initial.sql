-- hookfan schema, migration 1.
-- Ids are the prefixed, time-ordered strings of src/ids.c (ASCII, binary
-- collation): inserts append to the end of each primary key.
-- Times are UTC (the session sets time_zone = '+00:00').

CREATE TABLE workspaces (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(200) NOT NULL,
  max_payload_bytes INT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE environments (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(200) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY environment_name (workspace_id, name),
  CONSTRAINT environment_workspace FOREIGN KEY (workspace_id) REFERENCES workspaces (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE applications (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  environment_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  name VARCHAR(200) NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY application_workspace (workspace_id),
  CONSTRAINT application_workspace FOREIGN KEY (workspace_id) REFERENCES workspaces (id),
  CONSTRAINT application_environment FOREIGN KEY (environment_id) REFERENCES environments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- failing_since: when the current run of failures began (NULL after a
-- success); the sweep disables an endpoint failing for too long.
CREATE TABLE endpoints (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  environment_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  application_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  url VARCHAR(2048) NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  disabled_reason VARCHAR(255) NULL,
  failing_since DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY endpoint_workspace (workspace_id, environment_id),
  KEY endpoint_application (application_id),
  CONSTRAINT endpoint_workspace FOREIGN KEY (workspace_id) REFERENCES workspaces (id),
  CONSTRAINT endpoint_environment FOREIGN KEY (environment_id) REFERENCES environments (id),
  CONSTRAINT endpoint_application FOREIGN KEY (application_id) REFERENCES applications (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Several secrets per endpoint while one is being rotated out: a secret
-- signs while expires_at is NULL or in the future.
CREATE TABLE endpoint_secrets (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  KEY secret_endpoint (endpoint_id, expires_at),
  CONSTRAINT secret_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE event_types (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY event_type_name (workspace_id, name),
  CONSTRAINT event_type_workspace FOREIGN KEY (workspace_id) REFERENCES workspaces (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- event_type is a name or '*'.  workspace_id is copied from the endpoint so
-- "who is subscribed to T in this workspace" is one index range.
CREATE TABLE subscriptions (
  endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_type VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (endpoint_id, event_type),
  KEY subscription_lookup (workspace_id, event_type, endpoint_id),
  CONSTRAINT subscription_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Only SHA-256 of the key is stored.  Scope: workspace (both NULL),
-- environment or endpoint.
CREATE TABLE api_keys (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  key_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  environment_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY api_key_hash (key_hash),
  CONSTRAINT api_key_workspace FOREIGN KEY (workspace_id) REFERENCES workspaces (id),
  CONSTRAINT api_key_environment FOREIGN KEY (environment_id) REFERENCES environments (id),
  CONSTRAINT api_key_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- status: pending (deliveries outstanding), delivered (all succeeded),
-- failed (at least one gave up), no_subscribers (nothing to deliver).
CREATE TABLE messages (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  environment_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  application_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  event_type_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
  event_type VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  metadata TEXT NULL,
  status VARCHAR(16) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY message_workspace (workspace_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- status: pending (waiting for its next attempt), sending (claimed by a
-- sweep under lease_token until lease_expires_at), succeeded, failed (gave
-- up), paused (its endpoint is disabled; resumes when it is enabled).
-- due_at is when a sweep may claim the row: the next attempt time while
-- pending, the lease expiry while sending, NULL once nothing is due.  One
-- index on it serves both "due, oldest first" and "abandoned leases".
CREATE TABLE deliveries (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  message_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  endpoint_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status VARCHAR(16) CHARACTER SET ascii NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  due_at DATETIME(3) NULL,
  lease_owner VARCHAR(100) NULL,
  lease_token CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  lease_expires_at DATETIME(3) NULL,
  last_status_code SMALLINT NULL,
  last_error VARCHAR(255) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY delivery_due (due_at),
  KEY delivery_endpoint_backlog (endpoint_id, status),
  KEY delivery_message (message_id),
  CONSTRAINT delivery_message FOREIGN KEY (message_id) REFERENCES messages (id),
  CONSTRAINT delivery_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per HTTP attempt.  status_code is NULL when no response came;
-- error then says why (timeout, refused, blocked destination...).
CREATE TABLE attempts (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  delivery_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  attempt_number INT UNSIGNED NOT NULL,
  started_at DATETIME(3) NOT NULL,
  duration_ms INT UNSIGNED NOT NULL,
  status_code SMALLINT NULL,
  error VARCHAR(255) NULL,
  response_excerpt VARBINARY(1024) NULL,
  PRIMARY KEY (id),
  KEY attempt_delivery (delivery_id, attempt_number)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Fixed one-second windows shared by every process and host.
CREATE TABLE rate_limits (
  bucket VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT NOT NULL,
  hits INT UNSIGNED NOT NULL,
  PRIMARY KEY (bucket)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;
