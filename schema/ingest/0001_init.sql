-- SPDX-License-Identifier: Apache-2.0
-- ingest.db: per-minute webhook signature verification counters pushed by
-- receivers to POST /v1/verifications. Its one writer is the daemon's HTTP
-- ingest handler; the ingest source reads it read-only. Times are unix seconds.

-- One row per receiver, customer and minute (the minute's start). A replayed
-- batch overwrites its rows with the same values, so it is counted once.
CREATE TABLE verification_minutes (
  receiver TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  minute INTEGER NOT NULL,
  ok INTEGER NOT NULL CHECK (ok >= 0),
  fail INTEGER NOT NULL CHECK (fail >= 0),
  unsigned_processed INTEGER NOT NULL CHECK (unsigned_processed >= 0),
  received_at INTEGER NOT NULL,
  PRIMARY KEY (receiver, customer_id, minute)
) WITHOUT ROWID;

-- Pruning and the source's window read by minute.
CREATE INDEX verification_minutes_by_minute ON verification_minutes (minute);

-- The last accepted batch per receiver: staleness.
CREATE TABLE receivers (
  receiver TEXT PRIMARY KEY,
  last_batch_at INTEGER NOT NULL,
  last_batch_id TEXT,
  last_rows INTEGER NOT NULL
) WITHOUT ROWID;

-- created_at: when the endpoint first opened this file (the grace period of
-- a source that has not received anything yet starts here).
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
