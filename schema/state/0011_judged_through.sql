-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 11. Per event stream (e.g.
-- "verifications"), the last minute (unix seconds / 60) a committed cycle
-- judged. Written in the cycle's transaction, only forward: the next cycle
-- judges from the minute after it, so a gap in the cycles (the daemon down)
-- leaves no minute unjudged and none is judged twice.
CREATE TABLE judged_through (
  stream TEXT PRIMARY KEY,
  minute INTEGER NOT NULL
) WITHOUT ROWID;
