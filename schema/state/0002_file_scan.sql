-- SPDX-License-Identifier: Apache-2.0
-- complyd state database, migration 2: incremental file scanning (leak-scan).
-- One row per file the files source scans. Never any file content: identity,
-- how far the file has been read, and the hits found in the bytes read so far
-- (masked excerpts, never the values), so that a leak found in an earlier
-- cycle keeps being reported until the file is rotated, truncated or deleted.
-- Written in the same transaction as the cycle's findings.

CREATE TABLE file_scans (
  path          TEXT PRIMARY KEY,
  device        INTEGER NOT NULL,
  inode         INTEGER NOT NULL,
  size          INTEGER NOT NULL,            -- file size when last looked at
  mtime_ns      INTEGER NOT NULL,
  scanned_bytes INTEGER NOT NULL,            -- end of the last complete line scanned
  scanned_lines INTEGER NOT NULL,            -- newlines before scanned_bytes
  carry         INTEGER NOT NULL DEFAULT 0,  -- bytes of a partial last line, re-read next cycle
  is_log        INTEGER NOT NULL DEFAULT 0,
  is_binary     INTEGER NOT NULL DEFAULT 0,  -- skipped until rotated or truncated
  hits          TEXT NOT NULL DEFAULT '[]',  -- JSON [{line, kind, excerpt, value_length, occurrences}]
  scanned_at    INTEGER NOT NULL
);
