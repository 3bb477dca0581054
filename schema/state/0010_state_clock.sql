-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 10. Which clock the database's cycles ran
-- on: 'live' (the wall clock: the daemon, `complyd audit`) or 'simulated'
-- (`complyd audit --now T --state FILE`). Its first committed cycle sets it;
-- a database that already holds cycles was written by real cycles. The two
-- never mix, so a simulated run cannot rewrite a live history
-- (docs/operations.md, "The history only moves forward").
CREATE TABLE state_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO state_meta(key, value) SELECT 'clock', 'live' WHERE EXISTS (SELECT 1 FROM cycles);
