// SPDX-License-Identifier: Apache-2.0
// ingest.db: the per-minute verification counters receivers push to
// POST /v1/verifications (schema/ingest/). A separate file from the state
// database so each file keeps one writer: the HTTP ingest handler writes
// this one (IngestWriter, on its own thread), the cycle's ingest source reads
// it read-only (read_ingest).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/facts.hpp"
#include "daemon/util/sqlite.hpp"

namespace complyd {

inline constexpr int kIngestSchemaVersion = 1;

// One validated row of a batch; `minute` is unix seconds at the minute's start.
struct IngestRow {
  std::string customer_id;
  std::int64_t minute = 0;
  std::uint32_t ok = 0, fail = 0, unsigned_processed = 0;
};

// The single writer. Not thread-safe: call from one thread (or strand) only.
class IngestWriter {
 public:
  // Creates the file and its schema if needed; throws on failure (including
  // a file whose schema is newer than this complyd).
  IngestWriter(const std::filesystem::path& path, Time now);
  // One BEGIN IMMEDIATE transaction: upserts the rows (a replay overwrites
  // with the same values), records the receiver's last batch and prunes
  // minutes older than `keep_from`. All rows or none.
  void write(const std::string& receiver, const std::string& batch_id, const std::vector<IngestRow>& rows,
             Time now, Time keep_from);
  const std::filesystem::path& path() const { return db_.path(); }

 private:
  sql::Db db_;
};

struct IngestReceiverStatus {
  std::string receiver;
  Time last_batch_at{};
};

struct IngestSnapshot {
  bool initialised = false;            // false: the file exists but has no schema yet
  std::optional<Time> created_at;      // when the endpoint first opened the file
  std::vector<IngestReceiverStatus> receivers;  // only the asked-for receivers that ever pushed
  std::vector<VerificationSeries> series;       // by customer, minutes ascending, summed over receivers
  std::int64_t clamped = 0;                     // sums above 2^32-1, clamped
};

// Read-only: counters of `receivers` with minute starts in [from, to].
// Throws sql::SqliteError or std::runtime_error (schema too new).
IngestSnapshot read_ingest(const std::filesystem::path& path, const std::vector<std::string>& receivers, Time from,
                           Time to, int busy_timeout_ms);

}  // namespace complyd
