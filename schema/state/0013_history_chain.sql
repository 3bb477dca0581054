-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 13: the tamper-evident history
-- (docs/history-chain.md). Every evidence row joins one hash chain: its
-- sequence number and the SHA-256 of the previous record's hash followed by
-- the row's canonical form. In the row itself, not a table beside it: a first
-- cycle at 100k customers writes ~86k events, and an INSERT each would cost
-- more than the two columns. Rows already stored are chained by the migration
-- (cycles, then finding events, then sent messages, each in id order).
ALTER TABLE cycles ADD COLUMN chain_seq INTEGER;
ALTER TABLE cycles ADD COLUMN chain_hash TEXT;
ALTER TABLE finding_events ADD COLUMN chain_seq INTEGER;
ALTER TABLE finding_events ADD COLUMN chain_hash TEXT;
ALTER TABLE outbox ADD COLUMN chain_seq INTEGER;
ALTER TABLE outbox ADD COLUMN chain_hash TEXT;

-- The last record's sequence and hash: where the next record chains on, and
-- what a deleted last record is missed against.
CREATE TABLE history_chain (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
);
