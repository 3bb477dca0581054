-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 7. The index on finding_events(at) cost
-- every cycle a b-tree insert per transition (86k in a first cycle at 100k
-- customers), and its one reader (`complyd report --as-of`: events at or
-- before a time, in id order) reads the table in id order anyway, as ids
-- grow with time.
DROP INDEX IF EXISTS finding_events_at;
