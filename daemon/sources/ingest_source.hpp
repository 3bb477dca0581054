// SPDX-License-Identifier: Apache-2.0
// [[sources]] type = "ingest": per-minute webhook signature verification
// counters that receivers push to the daemon's POST /v1/verifications
// (daemon/http/ingest.cpp), stored in ingest.db (daemon/store/ingest_store.hpp)
// and read here, read-only, each cycle. Provides FactKind::verifications.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/source_config.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {

struct IngestReceiver {
  std::string name;          // who pushed; recorded with every row
  std::string token_sha256;  // lowercase hex SHA-256 of its bearer token; never the token
};

struct IngestSettings final : SourceSettings {
  std::filesystem::path path;  // empty: ingest.db beside the state database
  Duration window{26 * 3600};  // history returned: signature-failures' lookback + baseline_window, and a margin
  Duration retention{48 * 3600};
  Duration stale_after{15 * 60};
  std::int64_t max_batch_bytes = 1 << 20;
  std::int64_t max_rows_per_batch = 10000;
  std::vector<IngestReceiver> receivers;
};

// The file an ingest source uses (its `path`, or ingest.db beside the state database).
std::filesystem::path ingest_db_path(const SourceConfig& source, const Config& config);

class IngestSource final : public ConfiguredSource {
 public:
  IngestSource(const SourceConfig& c, std::filesystem::path db, std::optional<Time> counters_from = {});
  std::vector<FactKind> provides() const override { return {FactKind::verifications}; }
  void collect(Facts& into, Time now, std::vector<std::string>& problems) override;

 private:
  IngestSettings settings_;
  std::filesystem::path db_;
  std::optional<Time> counters_from_;
};

}  // namespace complyd
