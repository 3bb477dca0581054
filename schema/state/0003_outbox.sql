-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 3: the e-mail outbox and the alert ledger.
-- A message is enqueued in the same transaction as the cycle that caused it,
-- with an idempotency key (UNIQUE: a key is enqueued at most once, ever), and
-- marked sent only after the SMTP server accepted it. Never any secret: the
-- stored message is built from redacted findings and inventory metadata.

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,  -- digest:<cycle>:<recipients>, reminder:<customer>:<path>:<version>:<stage>, ...
  kind            TEXT NOT NULL,         -- digest | reminder | escalation
  cycle_id        INTEGER REFERENCES cycles(id),
  customer_id     TEXT NOT NULL DEFAULT '',
  recipients      TEXT NOT NULL,         -- comma-separated envelope recipients
  subject         TEXT NOT NULL,
  message_id      TEXT NOT NULL,         -- the Message-ID header, stable across retries
  message         TEXT NOT NULL,         -- the complete MIME message (CRLF)
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,      -- still failing after this: dead (reset by 'notify retry')
  last_reply      TEXT,                  -- the server's last reply or the error, redacted
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

-- Who was alerted about which finding, so a resolution is announced to
-- exactly those people (even after a mute) and open findings repeat at
-- alerts.repeat_interval.
CREATE TABLE alert_ledger (
  finding_id       TEXT NOT NULL,
  recipient        TEXT NOT NULL,
  first_alerted_at INTEGER NOT NULL,
  last_alerted_at  INTEGER NOT NULL,
  active           INTEGER NOT NULL DEFAULT 1,  -- 0 once the resolution was announced
  PRIMARY KEY (finding_id, recipient)
) WITHOUT ROWID;
