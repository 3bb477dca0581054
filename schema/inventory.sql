-- SPDX-License-Identifier: Apache-2.0
-- complyd inventory schema (version 1): the embedded default source.
-- Metadata only: no column ever holds a secret value. Times are RFC 3339 UTC
-- text ('2026-11-22T10:00:00Z') or integer unix seconds; both are accepted.
-- See docs/inventory.md for the meaning of every column.

CREATE TABLE IF NOT EXISTS customers (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  status        TEXT NOT NULL,            -- active | offboarding | offboarded
  admin_email   TEXT,
  environment   TEXT NOT NULL DEFAULT 'production',
  jurisdiction  TEXT,                     -- EU, UK, US-CA, ... (for DPA attestations)
  onboarded_at  TEXT,
  offboarded_at TEXT,
  last_sync_at  TEXT                      -- last sync-worker activity
);

CREATE TABLE IF NOT EXISTS credentials (
  id            INTEGER PRIMARY KEY,
  customer_id   TEXT NOT NULL,
  kind          TEXT NOT NULL,            -- api_token | webhook_secret | oauth_refresh_token | internal_secret
  role          TEXT NOT NULL,            -- current | previous | pending | revoked
  storage_path  TEXT NOT NULL,            -- e.g. raise/production/cust_0001/api_token
  environment   TEXT NOT NULL DEFAULT 'production',
  created_at    TEXT,
  rotated_at    TEXT,                     -- when it became current
  last_used_at  TEXT,
  activated_at  TEXT,                     -- pending: when it went live, NULL if never
  fingerprint   TEXT,                     -- keyed hash (HMAC-SHA256 hex) of the value
  entropy_bytes REAL                      -- measured entropy of the value, in bytes
);
CREATE INDEX IF NOT EXISTS credentials_customer ON credentials(customer_id);

CREATE TABLE IF NOT EXISTS webhook_subscriptions (
  id               TEXT PRIMARY KEY,
  customer_id      TEXT NOT NULL,
  platform         TEXT NOT NULL,         -- raise | virtuous | revolv3 | ...
  notification_url TEXT NOT NULL,
  status           TEXT NOT NULL,         -- active | inactive | deleted
  created_at       TEXT
);

CREATE TABLE IF NOT EXISTS webhook_verifications (
  customer_id TEXT NOT NULL,
  minute      INTEGER NOT NULL,           -- unix seconds of the minute's start
  ok          INTEGER NOT NULL DEFAULT 0,
  fail        INTEGER NOT NULL DEFAULT 0,
  unsigned    INTEGER NOT NULL DEFAULT 0, -- requests processed without a signature
  PRIMARY KEY (customer_id, minute)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS data_sets (
  id               INTEGER PRIMARY KEY,
  customer_id      TEXT,                  -- NULL for integration-wide data
  name             TEXT NOT NULL,
  data_class       TEXT NOT NULL,         -- dead_letter | reconciliation_log | worker_log_hot | worker_log_cold | webhook_capture | sync_state | audit_log
  location         TEXT,
  record_count     INTEGER NOT NULL DEFAULT 0,
  oldest_record_at TEXT,
  newest_record_at TEXT,
  anonymised       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS audit_events (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,              -- credential_created | token_rotated | credential_deleted | offboarded | token_read | ...
  resource    TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_customer ON audit_events(customer_id);

-- Which customers a reader service (an audit event's actor) may read the
-- credentials of; a reader without rows is not scoped. Optional.
CREATE TABLE IF NOT EXISTS reader_scopes (
  reader      TEXT NOT NULL,              -- e.g. submitter-cust_0001
  customer_id TEXT NOT NULL,
  PRIMARY KEY (reader, customer_id)
);

CREATE TABLE IF NOT EXISTS attestations (
  id           INTEGER PRIMARY KEY,
  control      TEXT NOT NULL,             -- dpa | incident_runbook | access_review | ...
  customer_id  TEXT,
  attested_by  TEXT NOT NULL,
  attested_at  TEXT NOT NULL,
  evidence_ref TEXT
);

CREATE TABLE IF NOT EXISTS api_endpoints (
  name   TEXT PRIMARY KEY,
  url    TEXT NOT NULL,
  origin TEXT
);
