// SPDX-License-Identifier: Apache-2.0
// POST /v1/verifications: receivers push per-minute signature verification
// counters for the ingest source. parse_batch() is pure (body + limits in,
// rows or the first problem out); Ingest routes a bearer token to its
// receiver and source, and stores accepted batches in ingest.db on one
// writer thread per file, off the daemon's loop.
#pragma once

#include "daemon/util/prelude.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/http/handlers.hpp"
#include "daemon/sources/ingest_source.hpp"
#include "daemon/sources/ingest_store.hpp"
#include "model/time.hpp"

namespace complyd::http {

inline constexpr std::string_view kIngestPath = "/v1/verifications";

struct BatchLimits {
  std::int64_t max_rows = 10000;
  Time now{};
  Duration retention{48 * 3600};  // minutes older than now - retention are refused
  Duration max_skew{120};         // minutes starting later than now + max_skew are refused
};

struct Batch {
  std::string batch_id;
  std::vector<IngestRow> rows;
};

// Never carries a value from the request: where (row, field) and what is wrong.
struct BatchError {
  bhttp::status status = bhttp::status::bad_request;
  std::string message;          // e.g. "rows[3].fail: must be an integer from 0 to 4294967295"
  std::optional<std::size_t> row;
  std::string field;
};

std::variant<Batch, BatchError> parse_batch(std::string_view body, const BatchLimits& limits);

// {"error": ..., "row": N, "field": "..."} with the status.
Response batch_error_response(const BatchError& e, unsigned version);

// One ingest.db and the thread that is its only writer.
class IngestStore {
 public:
  IngestStore(std::filesystem::path path, Time now);  // opens (creates) the file; throws
  ~IngestStore();
  const std::filesystem::path& path() const { return path_; }
  // Runs the write on the writer thread, then `done(error)` on `ex` (error
  // empty on success).
  void submit(std::string receiver, Batch batch, Time now, Time keep_from, boost::asio::any_io_executor ex,
              std::function<void(std::string error)> done);
  void stop();  // waits for the write in progress; drops queued ones

 private:
  std::filesystem::path path_;
  std::unique_ptr<IngestWriter> writer_;  // used on pool_ only
  boost::asio::thread_pool pool_{1};
};

struct IngestRoute {
  std::string source;
  IngestSettings settings;
  std::shared_ptr<IngestStore> store;  // null: the file could not be opened (503)
};

class Ingest {
 public:
  // The enabled ingest sources of `config`; stores of `previous` are reused
  // for the same path (SIGHUP), others opened now (errors logged).
  static std::shared_ptr<Ingest> from_config(const Config& config, Clock clock, const Ingest* previous);
  ~Ingest();

  bool empty() const { return routes_.empty(); }
  // The largest max_batch_bytes of any route: the parser's limit until the
  // request's headers say which route it is.
  std::uint64_t max_batch_bytes() const;

  struct Match {
    const IngestRoute* route = nullptr;
    const IngestReceiver* receiver = nullptr;
  };
  // "Bearer <token>" whose SHA-256 is some receiver's; every hash is compared
  // in constant time.
  std::optional<Match> authenticate(std::string_view authorization) const;

  // Validates the body and stores it; `done(response)` runs on `ex`.
  void handle(const Request& req, const Match& m, boost::asio::any_io_executor ex,
              std::function<void(Response)> done) const;
  void stop();

 private:
  std::vector<IngestRoute> routes_;
  Clock clock_;
};

}  // namespace complyd::http
