// SPDX-License-Identifier: Apache-2.0
// Per-file incremental scan state of the files source (leak-scan), persisted
// in the state database (schema/state/0002_file_scan.sql) and written in the
// same transaction as the cycle's findings. Plain data, no file content.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/facts.hpp"

namespace complyd {

struct FileScanRecord {
  std::string path;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;           // when last looked at
  std::int64_t mtime_ns = 0;
  std::int64_t scanned_bytes = 0;  // end of the last complete line scanned
  std::int64_t scanned_lines = 0;  // newlines before scanned_bytes
  std::int64_t carry = 0;          // partial last line after scanned_bytes (re-read next cycle)
  bool is_log = false;
  bool is_binary = false;
  // A secret-looking key on the last line before scanned_bytes whose value is
  // on the next line (checks/leak_patterns.hpp LeakPending): its name, never a value.
  std::string pending_key;
  bool pending_env_entry = false;
  // A .gz (rotated log): sizes and offsets above count decompressed bytes,
  // except size (the compressed file's). Done: read to its end, or stopped
  // for `gzip_problem` (corrupt, over the decompression cap), which is
  // reported every cycle until the file changes.
  bool gzip_done = false;
  std::string gzip_problem;
  std::vector<LeakHit> hits;       // found in [0, scanned_bytes); masked, never values
  Time scanned_at{};
};

// Keyed by path.
using FileScanState = std::map<std::string, FileScanRecord>;

}  // namespace complyd
