// SPDX-License-Identifier: Apache-2.0
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
// holds file content (a key whose value is on the next, unread line is kept
// by name only). A .gz is a rotated log: inflated (members concatenated too)
// and scanned once, by decompressed offset, at most
// FilesConfig::max_decompressed_bytes; a corrupt one is a problem every cycle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "checks/leak_patterns.hpp"
#include "daemon/config/config.hpp"
#include "model/file_scan_state.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {

struct FilesScanStats {
  std::int64_t files_seen = 0;     // regular files found under the paths
  std::int64_t files_read = 0;     // files with bytes read this cycle
  std::int64_t bytes_read = 0;
  std::int64_t rescans = 0;        // rotated, truncated or rewritten files read from the start
  std::int64_t deferred = 0;       // files whose new bytes wait for the next cycle (max_bytes_per_cycle)
  std::int64_t own_databases = 0;  // complyd's own SQLite files under the paths, never opened
};

class FilesSource final : public Source {
 public:
  // `state` is read at the start of collect() and replaced, only when
  // collect() succeeds, with the state after this cycle. nullptr: the source
  // keeps its own (in-memory) state.
  // Several files sources may share one state: each replaces only the
  // entries under its own paths (owns()).
  FilesSource(FilesConfig cfg, LeakScanOptions options, FileScanState* state, std::string name = "files");
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  std::vector<FactKind> provides() const override { return {FactKind::file_scans}; }
  void collect(Facts& into, Time now, std::vector<std::string>& problems) override;

  // complyd's own SQLite databases (the state, the inventory) and their
  // -wal, -shm and -journal files: the scan never opens them. Closing any
  // descriptor of a file drops every POSIX lock this process holds on it,
  // SQLite's included, and another process may then delete a WAL complyd
  // still writes to (sqlite.org/howtocorrupt.html, 2.2). They hold no
  // secrets by design.
  void never_open(std::vector<std::filesystem::path> databases) { own_databases_ = std::move(databases); }

  const FilesScanStats& last_stats() const { return stats_; }
  // Whether a state entry's path lies under one of this source's paths.
  bool owns(const std::string& path) const;

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
  std::vector<std::filesystem::path> own_databases_;
  std::string name_;
  std::string type_ = "files";
};

// [[sources]] type = "files": the [files] keys, for more than one set of
// paths, plus file-based retention: each retention directory becomes a
// DataSet (files counted, oldest and newest by mtime) for retention-window.
struct FilesRetention {
  std::filesystem::path path;  // a directory, walked recursively (symlinks not followed)
  std::string data_class;
  std::string customer_id;     // "" for shared data
  std::string name;            // the DataSet's name; default: data_class + ":" + path
};

struct FilesSourceSettings final : SourceSettings {
  FilesConfig files;  // paths empty: no leak scanning, retention only
  std::vector<FilesRetention> retention;
};

// True when a path equals `root` or lies below it.
bool path_under(const std::string& path, const std::filesystem::path& root);

// Any enabled files source at all ([files] or [[sources]] type "files"): the
// cycle then loads and commits the shared FileScanState.
bool uses_file_scans(const Config& config);

// Drops state entries no configured files source covers any more (paths
// removed from the configuration).
void prune_file_scans(const Config& config, FileScanState& state);

// The DataSet of one retention directory; throws SourceError when the
// directory is missing, unlistable entries go to `problems`.
DataSet retention_data_set(const FilesRetention& r, std::vector<std::string>& problems);

}  // namespace complyd
