// The files source: walks the [files] paths and runs the leak detector
// (checks/leak_patterns.hpp) on the bytes not scanned yet. Provides
// FactKind::file_scans (Facts::leak_hits) for leak-scan.
//
// Incremental per file: the state (FileScanState, persisted by the cycle in
// the state database) remembers identity (device, inode), size, mtime and how
// far the file was scanned (end of the last complete line), plus the hits
// found so far. Each cycle reads only the bytes after that point; a new inode,
// a file that shrank, or a same-size rewrite (new mtime) is a rotation and is
// rescanned from the start with its old hits dropped. Hits of earlier bytes
// are reported again every cycle until then, so the lifecycle keeps the
// findings open. A partial last line is re-read next cycle; the state never
// holds file content.
#pragma once

#include <cstdint>

#include "checks/leak_patterns.hpp"
#include "daemon/config/config.hpp"
#include "daemon/sources/file_scan_state.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {

struct FilesScanStats {
  std::int64_t files_seen = 0;     // regular files found under the paths
  std::int64_t files_read = 0;     // files with bytes read this cycle
  std::int64_t bytes_read = 0;
  std::int64_t rescans = 0;        // rotated, truncated or rewritten files read from the start
  std::int64_t deferred = 0;       // files whose new bytes wait for the next cycle (max_bytes_per_cycle)
};

class FilesSource final : public Source {
 public:
  // `state` is read at the start of collect() and replaced, only when
  // collect() succeeds, with the state after this cycle. nullptr: the source
  // keeps its own (in-memory) state.
  FilesSource(FilesConfig cfg, LeakScanOptions options, FileScanState* state);
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  std::vector<FactKind> provides() const override { return {FactKind::file_scans}; }
  void collect(Facts& into, Time now, std::vector<std::string>& problems) override;

  const FilesScanStats& last_stats() const { return stats_; }

  // Longest line kept back as "partial": a longer run without a newline is
  // scanned as it is.
  static constexpr std::int64_t kMaxLineBytes = 1 << 20;
  // Hits kept per file; leak-scan summarises what it does not list.
  static constexpr std::size_t kMaxHitsPerFile = 1000;

 private:
  FilesConfig cfg_;
  LeakScanOptions options_;
  FileScanState own_state_;
  FileScanState* state_;
  FilesScanStats stats_;
  std::string name_ = "files";
  std::string type_ = "files";
};

}  // namespace complyd
