-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 12: delivery ownership and pruned bodies.
-- A deliverer claims a message (lease_owner = host:pid:random, lease_until)
-- in the IMMEDIATE transaction that selects it, so any number of concurrent
-- `complyd run` / `notify send` / `report --email` send each message once; a
-- crashed owner's lease expires and another deliverer takes the message over.
-- A sent message's body is emptied after smtp.sent_retention (pruned_at set);
-- the row (key, times, recipients, Message-ID) stays as evidence.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE outbox ADD COLUMN pruned_at INTEGER;
