-- SPDX-License-Identifier: Apache-2.0
-- The integration-wide attestations' review dates at each cycle, so that a
-- report as of any time gives attestation-freshness findings their due date
-- (a customer's own attestations are in its report_customer_state).
-- JSON: [[control, attested_at, review_due], ...]; cycles before this
-- migration have none.
ALTER TABLE report_cycles ADD COLUMN attestations TEXT NOT NULL DEFAULT '[]';
