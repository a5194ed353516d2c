-- hookfan schema, migration 3: what the management API needs.
--
-- api_keys.kind: 'ingest' keys (hfk_) post events, 'management' keys
-- (hfm_) manage a workspace over /v1/...; neither can do the other.
-- Existing keys are ingest keys.
--
-- updated_at on applications and endpoints; description on endpoints.
-- deleted_at: a deleted application or endpoint is gone for the API and
-- for every fan-out, but its row stays, because the messages,
-- deliveries and attempts that name it are kept until purged.
--
-- idempotency_keys: the first answer to a request that carried an
-- Idempotency-Key, written in the same transaction as the request's
-- effect, so one never exists without the other.  The primary key is what
-- makes two identical requests at once have one effect: the second waits
-- on the first's row lock, then finds the stored answer.
--
-- Safe to run again if it stops half way.

ALTER TABLE api_keys
  ADD COLUMN IF NOT EXISTS kind VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'ingest';

ALTER TABLE applications
  ADD COLUMN IF NOT EXISTS updated_at DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS deleted_at DATETIME(3) NULL;
UPDATE applications SET updated_at = created_at WHERE updated_at IS NULL;
ALTER TABLE applications
  MODIFY updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3);

ALTER TABLE endpoints
  ADD COLUMN IF NOT EXISTS description VARCHAR(1024) NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS updated_at DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS deleted_at DATETIME(3) NULL;
UPDATE endpoints SET updated_at = created_at WHERE updated_at IS NULL;
ALTER TABLE endpoints
  MODIFY updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3);

-- idempotency_key: hex SHA-256 of the caller's API key hash, a newline
-- and the Idempotency-Key header (keys are per API key, and the header is
-- not kept); request_hash: SHA-256 of the method, the route and the body;
-- body: the answer, replayed byte for byte, sealed with AES-256-GCM under
-- a key derived from the raw API key (never stored), in base64 of
-- nonce || ciphertext || tag: the answer may hold a new API key or a
-- signing secret, and the ingest account reads this table.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idempotency_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status SMALLINT UNSIGNED NOT NULL,
  body LONGTEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (workspace_id, idempotency_key),
  KEY idempotency_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
