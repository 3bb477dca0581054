-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 9: leak-scan across lines and in .gz logs.
-- pending_key: a secret-looking key on the last line scanned whose value is on
-- the next line (a Kubernetes `- name: X_TOKEN`, a YAML or JSON key alone on
-- its line): the key's name only, never a value, so that a value read in the
-- next cycle is still joined with its key.
-- gzip_done / gzip_problem: a rotated .gz log is read once (offsets count
-- decompressed bytes); a corrupt one, or one over the decompression cap, keeps
-- its reason and is reported every cycle until the file changes.

ALTER TABLE file_scans ADD COLUMN pending_key TEXT NOT NULL DEFAULT '';
ALTER TABLE file_scans ADD COLUMN pending_env_entry INTEGER NOT NULL DEFAULT 0;
ALTER TABLE file_scans ADD COLUMN gzip_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE file_scans ADD COLUMN gzip_problem TEXT NOT NULL DEFAULT '';
