-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 4: what `complyd report --as-of` needs
-- beyond findings and finding_events, written in the same transaction as the
-- cycle. Never a secret value: metadata, ages and counts only.

-- Which checks ran on complete facts (or were disabled) in each cycle, so a
-- past report knows which checklist items were evaluated.
CREATE TABLE report_cycles (
  cycle_id        INTEGER PRIMARY KEY REFERENCES cycles(id),
  at              INTEGER NOT NULL,              -- the cycle's finished_at (= its finding_events' at)
  checks_complete TEXT NOT NULL DEFAULT '[]',    -- JSON array of check ids
  checks_disabled TEXT NOT NULL DEFAULT '[]'
);

-- Per customer: status, credentials (path, kind, role, age basis, rotation
-- due date), webhook subscriptions (id, platform, status, https or not).
-- Versioned: a row is written only when the state changes, so 100k
-- customers cost nothing per cycle while nothing changes.
CREATE TABLE report_customer_state (
  customer_id TEXT NOT NULL,
  valid_from  INTEGER NOT NULL,                  -- cycle time this state was first seen
  valid_to    INTEGER,                           -- cycle time it changed or vanished; NULL: current
  digest      TEXT NOT NULL,                     -- SHA-256 of state
  state       TEXT NOT NULL,                     -- JSON
  PRIMARY KEY (customer_id, valid_from)
);
CREATE INDEX report_customer_state_current ON report_customer_state(valid_to);

-- Webhook signature verification over the hour before each cycle, only for
-- customers with a failed or unsigned delivery in that hour (others: 0%).
CREATE TABLE report_signature_rates (
  cycle_id    INTEGER NOT NULL REFERENCES cycles(id),
  customer_id TEXT NOT NULL,
  ok          INTEGER NOT NULL,
  fail        INTEGER NOT NULL,
  unsigned    INTEGER NOT NULL,
  PRIMARY KEY (cycle_id, customer_id)
);
