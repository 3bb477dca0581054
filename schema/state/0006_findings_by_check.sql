-- SPDX-License-Identifier: Apache-2.0
-- The cycle applies the lifecycle check by check while the other checks
-- still run (docs/architecture.md), loading only that check's stored
-- findings: by this index, instead of every stored finding beside the facts.
CREATE INDEX IF NOT EXISTS findings_check ON findings(check_id);
