-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 1: findings, their history, cycles.
-- Times are integer unix seconds (UTC).

CREATE TABLE findings (
  id           TEXT PRIMARY KEY,          -- stable: hash of check id + customer + subject
  check_id     TEXT NOT NULL,
  severity     TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('open', 'muted', 'resolved')),
  customer_id  TEXT NOT NULL DEFAULT '',
  subject      TEXT NOT NULL,
  title        TEXT NOT NULL,
  detail       TEXT NOT NULL,
  remediation  TEXT NOT NULL,
  evidence     TEXT NOT NULL DEFAULT '{}', -- JSON object; never secret values
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  resolved_at  INTEGER,
  mute_reason  TEXT,
  muted_by     TEXT,
  muted_until  INTEGER
);
CREATE INDEX findings_status ON findings(status);
CREATE INDEX findings_check ON findings(check_id);
CREATE INDEX findings_customer ON findings(customer_id);

CREATE TABLE cycles (
  id             INTEGER PRIMARY KEY,
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER,
  status         TEXT NOT NULL,           -- ok | partial (a source failed) | failed
  sources        TEXT NOT NULL DEFAULT '[]', -- JSON: name, type, ok, error, rows
  sources_ok     INTEGER NOT NULL DEFAULT 0,
  sources_failed INTEGER NOT NULL DEFAULT 0,
  checks_run     INTEGER NOT NULL DEFAULT 0,
  checks_skipped INTEGER NOT NULL DEFAULT 0,
  opened         INTEGER NOT NULL DEFAULT 0,
  reopened       INTEGER NOT NULL DEFAULT 0,
  resolved       INTEGER NOT NULL DEFAULT 0,
  open_total     INTEGER NOT NULL DEFAULT 0,
  error          TEXT
);

CREATE TABLE finding_events (
  id          INTEGER PRIMARY KEY,
  finding_id  TEXT NOT NULL REFERENCES findings(id),
  cycle_id    INTEGER REFERENCES cycles(id),  -- NULL for operator actions
  at          INTEGER NOT NULL,
  event       TEXT NOT NULL,              -- opened | resolved | reopened | muted | unmuted | mute_expired | escalated | deescalated
  from_status TEXT,
  to_status   TEXT NOT NULL,
  severity    TEXT NOT NULL,
  actor       TEXT,
  reason      TEXT
);
CREATE INDEX finding_events_finding ON finding_events(finding_id);
CREATE INDEX finding_events_at ON finding_events(at);
