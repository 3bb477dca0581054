-- SPDX-License-Identifier: Apache-2.0
-- Findings' status (3 values) and check id (14 values) indexes: every cycle
-- paid for them on each finding written (86k at 100k customers), while a
-- query selecting most of a table reads it faster without them.
DROP INDEX IF EXISTS findings_status;
DROP INDEX IF EXISTS findings_check;
