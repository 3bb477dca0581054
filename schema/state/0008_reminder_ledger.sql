-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 8: the reminder ledger. One row per
-- credential version a customer was reminded about, written in the cycle's
-- transaction: when the first reminder was enqueued (an escalation waits
-- reminders.escalate_after from it, so it never claims reminders went
-- unanswered in the cycle that sent the first one) and the most urgent
-- stage sent (a later cycle never steps back to a milder one). The
-- reference is a hash: no storage path in the state beyond the outbox.
CREATE TABLE reminder_ledger (
  credential_ref    TEXT PRIMARY KEY,  -- SHA-256 hex of customer id, storage path and version
  customer_id       TEXT NOT NULL,
  first_reminded_at INTEGER NOT NULL,
  urgency           INTEGER NOT NULL   -- most urgent stage sent: 0 warning, 1 due, 2 overdue
) WITHOUT ROWID;
