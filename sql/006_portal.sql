-- hookfan schema, migration 6: application portal links.
--
-- A portal link carries a token (hfp_...) that opens the dashboard's pages
-- for one application until expires_at.  Only the token's SHA-256 is
-- stored, as for API keys: a copy of this table opens nothing.  Rows past
-- expires_at are refused and may be deleted at any time.
--
-- Safe to run again if it stops half way.

CREATE TABLE IF NOT EXISTS portal_tokens (
  id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  workspace_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  application_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY portal_token_hash (token_hash),
  KEY portal_token_expiry (expires_at),
  CONSTRAINT portal_token_application FOREIGN KEY (application_id) REFERENCES applications (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
