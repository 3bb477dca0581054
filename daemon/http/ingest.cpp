// SPDX-License-Identifier: Apache-2.0
#include "daemon/http/ingest.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/log/log.hpp"
#include "daemon/util/crypto.hpp"

namespace complyd::http {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxCount = 4294967295;

BatchError bad(std::string message, std::optional<std::size_t> row = std::nullopt, std::string field = {}) {
  return BatchError{bhttp::status::bad_request, std::move(message), row, std::move(field)};
}

// Deeper than {"rows":[{...}]} is not a batch; refuse before building it.
struct TooDeep {};

// A member name worth repeating in an error: short and plain. Anything else
// is described, not echoed.
std::string key_for_message(const std::string& k) {
  static const RE2 plain("[A-Za-z_][A-Za-z0-9_]{0,31}");
  return RE2::FullMatch(k, plain) ? "'" + k + "'" : "member";
}

std::optional<std::uint32_t> count_of(const json& v) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n <= static_cast<std::uint64_t>(kMaxCount)) return static_cast<std::uint32_t>(n);
    return std::nullopt;
  }
  if (v.is_number_integer() && v.get<std::int64_t>() == 0) return 0;
  return std::nullopt;
}

}  // namespace

std::variant<Batch, BatchError> parse_batch(std::string_view body, const BatchLimits& limits) {
  json doc;
  try {
    doc = json::parse(body.begin(), body.end(), [](int depth, json::parse_event_t, json&) {
      if (depth > 3) throw TooDeep{};
      return true;
    });
  } catch (const json::parse_error& e) {
    return bad(fmt::format("malformed JSON at byte {} of {}", e.byte, body.size()));
  } catch (const json::out_of_range&) {
    // 1e999: thrown by the parser too, and uncaught it ended the daemon (found by tests/fuzz/http_fuzz).
    return bad("a number too large for a JSON number");
  } catch (const TooDeep&) {
    return bad("nested too deeply: the body is {\"batch_id\": \"...\", \"rows\": [{...}, ...]}");
  }
  if (!doc.is_object()) return bad("the body must be a JSON object with 'rows'");
  Batch out;
  for (const auto& [k, v] : doc.items()) {
    if (k == "rows") continue;
    if (k == "batch_id") {
      static const RE2 id_re("[A-Za-z0-9._:-]{1,128}");
      if (!v.is_string() || !RE2::FullMatch(v.get_ref<const std::string&>(), id_re)) {
        return bad("batch_id: must be 1 to 128 characters of letters, digits, '.', '_', ':', '-'", std::nullopt,
                   "batch_id");
      }
      out.batch_id = v.get<std::string>();
      continue;
    }
    return bad(fmt::format("unknown {} (allowed: batch_id, rows)", key_for_message(k)));
  }
  const auto rows = doc.find("rows");
  if (rows == doc.end() || !rows->is_array()) return bad("rows: required, an array of rows", std::nullopt, "rows");
  if (rows->empty()) return bad("rows: empty; send at least one row", std::nullopt, "rows");
  if (static_cast<std::int64_t>(rows->size()) > limits.max_rows) {
    BatchError e = bad(fmt::format("rows: {} rows, more than max_rows_per_batch ({}); split the batch", rows->size(),
                                   limits.max_rows),
                       std::nullopt, "rows");
    e.status = bhttp::status::payload_too_large;
    return e;
  }
  const std::int64_t now_s = to_unix(limits.now);
  const std::int64_t newest = now_s + limits.max_skew.count();
  const std::int64_t oldest = now_s - limits.retention.count();
  std::set<std::pair<std::string_view, std::int64_t>> seen;
  out.rows.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const json& r = (*rows)[i];
    auto where = [&](const char* field) { return fmt::format("rows[{}].{}", i, field); };
    if (!r.is_object()) return bad(fmt::format("rows[{}]: must be an object", i), i);
    IngestRow row;
    for (const auto& [k, v] : r.items()) {
      if (k == "customer_id") {
        if (!v.is_string()) return bad(where("customer_id") + ": must be a string", i, "customer_id");
        const auto& s = v.get_ref<const std::string&>();
        if (s.empty()) return bad(where("customer_id") + ": must not be empty", i, "customer_id");
        if (s.size() > 256) return bad(where("customer_id") + ": longer than 256 characters", i, "customer_id");
        if (std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
          return bad(where("customer_id") + ": must not contain control characters", i, "customer_id");
        }
        row.customer_id = s;
      } else if (k == "minute") {
        std::optional<std::int64_t> t;
        if (v.is_string()) {
          const auto& text = v.get_ref<const std::string&>();
          // parse_time drops fractions; a fractional minute is not a minute's start.
          if (auto p = parse_time(text); p && text.find('.') == std::string::npos) t = to_unix(*p);
          if (!t) {
            return bad(where("minute") + ": not an RFC 3339 time such as \"2026-11-22T10:05:00Z\"", i, "minute");
          }
        } else if (v.is_number_integer()) {
          t = v.get<std::int64_t>();
        } else {
          return bad(where("minute") + ": must be an RFC 3339 time or unix seconds", i, "minute");
        }
        if (*t % 60 != 0) return bad(where("minute") + ": not the start of a minute (seconds must be 0)", i, "minute");
        if (*t > newest) return bad(where("minute") + ": in the future (check the receiver's clock)", i, "minute");
        if (*t < oldest) {
          return bad(fmt::format("{}: older than the retention ({}); drop it", where("minute"),
                                 format_duration(limits.retention)),
                     i, "minute");
        }
        row.minute = *t;
      } else if (k == "ok" || k == "fail" || k == "unsigned") {
        const auto n = count_of(v);
        if (!n) return bad(where(k.c_str()) + ": must be an integer from 0 to 4294967295", i, k);
        (k == "ok" ? row.ok : k == "fail" ? row.fail : row.unsigned_processed) = *n;
      } else {
        return bad(fmt::format("rows[{}]: unknown {} (allowed: customer_id, minute, ok, fail, unsigned)", i,
                               key_for_message(k)),
                   i);
      }
    }
    for (const char* req : {"customer_id", "minute", "ok", "fail"}) {
      if (!r.contains(req)) return bad(where(req) + ": required", i, req);
    }
    out.rows.push_back(std::move(row));
  }
  // After the vector stops moving: views into it stay valid.
  for (std::size_t i = 0; i < out.rows.size(); ++i) {
    if (!seen.emplace(out.rows[i].customer_id, out.rows[i].minute).second) {
      return bad(fmt::format("rows[{}]: the same customer_id and minute as an earlier row; send one row per "
                             "customer and minute",
                             i),
                 i, "minute");
    }
  }
  return out;
}

Response batch_error_response(const BatchError& e, unsigned version) {
  Response res = error_response(e.status, version, e.message);
  json j{{"error", e.message}};
  if (e.row) j["row"] = *e.row;
  if (!e.field.empty()) j["field"] = e.field;
  res.body() = j.dump() + "\n";
  res.prepare_payload();
  return res;
}

// ---- storage --------------------------------------------------------------

IngestStore::IngestStore(std::filesystem::path path, Time now)
    : path_(std::move(path)), writer_(std::make_unique<IngestWriter>(path_, now)) {}

IngestStore::~IngestStore() { stop(); }

void IngestStore::stop() {
  pool_.stop();
  pool_.join();
}

void IngestStore::submit(std::string receiver, Batch batch, Time now, Time keep_from,
                         boost::asio::any_io_executor ex, std::function<void(std::string)> done) {
  boost::asio::post(pool_, [this, receiver = std::move(receiver), batch = std::move(batch), now, keep_from, ex,
                            done = std::move(done)]() mutable {
    std::string error;
    try {
      writer_->write(receiver, batch.batch_id, batch.rows, now, keep_from);
    } catch (const std::exception& e) {
      error = e.what();
    }
    boost::asio::post(ex, [done = std::move(done), error = std::move(error)]() mutable { done(std::move(error)); });
  });
}

// ---- routing --------------------------------------------------------------

std::shared_ptr<Ingest> Ingest::from_config(const Config& config, Clock clock, const Ingest* previous) {
  auto out = std::make_shared<Ingest>();
  out->clock_ = std::move(clock);
  std::map<std::filesystem::path, std::shared_ptr<IngestStore>> opened;
  for (const auto& sc : config.sources) {
    if (sc.type != "ingest" || !sc.common.enabled || !sc.settings) continue;
    IngestRoute route{sc.name, sc.as<IngestSettings>(), nullptr};
    const auto path = ingest_db_path(sc, config);
    if (auto it = opened.find(path); it != opened.end()) {
      CLOG(warning) << "ingest: sources share " << path.string()
                    << "; give each ingest source its own path (receivers with the same name would mix)";
      route.store = it->second;
    } else if (previous != nullptr) {
      for (const auto& r : previous->routes_) {
        if (r.store && r.store->path() == path) route.store = r.store;
      }
    }
    if (!route.store) {
      try {
        route.store = std::make_shared<IngestStore>(path, out->clock_());
      } catch (const std::exception& e) {
        CLOG(error) << "ingest: source " << sc.name << ": cannot open " << path.string() << ": " << e.what()
                    << "; POST /v1/verifications answers 503 for its receivers";
      }
    }
    if (route.store) opened.emplace(path, route.store);
    out->routes_.push_back(std::move(route));
  }
  return out;
}

Ingest::~Ingest() = default;

void Ingest::stop() {
  for (auto& r : routes_) {
    if (r.store) r.store->stop();
  }
}

std::uint64_t Ingest::max_batch_bytes() const {
  std::uint64_t m = 0;
  for (const auto& r : routes_) m = std::max<std::uint64_t>(m, static_cast<std::uint64_t>(r.settings.max_batch_bytes));
  return m;
}

std::optional<Ingest::Match> Ingest::authenticate(std::string_view authorization) const {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), authorization.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      })) {
    return std::nullopt;
  }
  const std::string presented = sha256_hex(authorization.substr(scheme.size()));
  std::optional<Match> found;
  for (const auto& route : routes_) {
    for (const auto& rec : route.settings.receivers) {
      // Every hash is compared (no early exit): timing says nothing about which matched.
      if (constant_time_equal(presented, rec.token_sha256) && !found) found = Match{&route, &rec};
    }
  }
  return found;
}

void Ingest::handle(const Request& req, const Match& m, boost::asio::any_io_executor ex,
                    std::function<void(Response)> done) const {
  const unsigned version = req.version();
  const Time now = clock_();
  const auto& st = m.route->settings;
  auto parsed = parse_batch(req.body(), BatchLimits{st.max_rows_per_batch, now, st.retention, Duration{120}});
  if (auto* e = std::get_if<BatchError>(&parsed)) {
    CLOG(warning) << "ingest: receiver " << m.receiver->name << ": batch refused: " << e->message;
    return done(batch_error_response(*e, version));
  }
  if (!m.route->store) {
    return done(error_response(bhttp::status::service_unavailable, version,
                               "verification storage is unavailable; retry later"));
  }
  auto batch = std::get<Batch>(std::move(parsed));
  const std::size_t n = batch.rows.size();
  std::string receiver = m.receiver->name, source = m.route->source, batch_id = batch.batch_id;
  m.route->store->submit(
      receiver, std::move(batch), now, now - st.retention, ex,
      [done = std::move(done), version, n, receiver, source, batch_id](std::string error) {
        if (!error.empty()) {
          CLOG(error) << "ingest: source " << source << ": receiver " << receiver << ": batch not stored: " << error;
          auto res = error_response(bhttp::status::service_unavailable, version,
                                    "the batch could not be stored; retry later");
          res.set(bhttp::field::retry_after, "30");
          return done(std::move(res));
        }
        CLOG(debug) << "ingest: source " << source << ": receiver " << receiver << ": batch "
                    << (batch_id.empty() ? "(no id)" : batch_id) << ": " << n << " rows stored";
        Response res = error_response(bhttp::status::ok, version, "");
        res.body() = nlohmann::json{{"accepted", n}}.dump() + "\n";
        res.prepare_payload();
        done(std::move(res));
      });
}

}  // namespace complyd::http
