// SPDX-License-Identifier: Apache-2.0
// The HTTP request path without sockets: the raw bytes through Beast's
// request parser with the server's limits (daemon/http/server.cpp), then
// what the server does with a parsed request: the API handlers over a
// snapshot (or none yet), the token check, and for POST /v1/verifications
// the ingest batch parser (daemon/http/ingest.hpp). Storing a batch and the
// console (both SQLite) are not driven here.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "daemon/http/handlers.hpp"
#include "daemon/http/ingest.hpp"
#include "daemon/util/crypto.hpp"

namespace {

using namespace complyd;
namespace bhttp = boost::beast::http;

const HttpConfig& fuzz_http_config() {
  static const HttpConfig cfg = [] {
    HttpConfig c;
    c.tokens.push_back({"fuzz", sha256_hex("fuzz-token")});
    return c;
  }();
  return cfg;
}

std::shared_ptr<const http::Snapshot> fuzz_snapshot() {
  static const auto snap = [] {
    auto s = std::make_shared<http::Snapshot>();
    s->built_at = *parse_time("2026-11-22T10:00:00Z");
    CycleRecord c;
    c.id = 7;
    c.started_at = s->built_at;
    c.finished_at = s->built_at;
    c.status = "ok";
    c.sources.push_back({});
    s->last_cycle = c;
    s->last_success_at = s->built_at;
    s->cycles_total = 7;
    s->open[{"high", "credential-age"}] = 3;
    s->muted[{"low", "leak-scan"}] = 1;
    s->extra.push_back({"complyd_outbox_pending", "Messages waiting", "gauge", {{"channel", "email"}}, 2});
    s->durations.observe(0.3);
    s->findings_json = R"({"findings":[]})";
    s->reports["json"] = R"({"report":{}})";
    s->reports["html"] = "<html></html>";
    return std::shared_ptr<const http::Snapshot>(std::move(s));
  }();
  return snap;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses whether a cycle has run yet; the rest is the wire.
  const bool have_snapshot = data[0] & 1;
  const HttpConfig& cfg = fuzz_http_config();
  bhttp::request_parser<http::Request::body_type> parser;
  parser.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
  parser.body_limit(std::uint64_t{1} << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  const auto* p = reinterpret_cast<const char*>(data + 1);
  std::size_t left = size - 1;
  while (left > 0 && !parser.is_done()) {
    const auto used = parser.put(boost::asio::const_buffer(p, left), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec || used == 0) break;
    p += used;
    left -= used;
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (!parser.is_done()) return 0;
  }
  const http::Request& req = parser.get();
  const std::string_view target(req.target().data(), req.target().size());
  const auto auth = req[bhttp::field::authorization];
  (void)http::authenticated_token(std::string_view(auth.data(), auth.size()), cfg.tokens);
  if (target.substr(0, target.find('?')) == http::kIngestPath) {
    http::BatchLimits limits;
    limits.now = *parse_time("2026-11-22T10:00:00Z");
    limits.max_rows = 64;
    auto r = http::parse_batch(req.body(), limits);
    if (auto* e = std::get_if<http::BatchError>(&r)) {
      (void)http::batch_error_response(*e, req.version());
    } else if (std::get<http::Batch>(r).rows.size() > 64) {
      std::abort();  // more rows than the limit accepted
    }
    return 0;
  }
  const auto snap = have_snapshot ? fuzz_snapshot() : nullptr;
  auto res = http::handle_request(req, snap.get(), cfg);
  if (res.result_int() < 100 || res.result_int() > 599) std::abort();
  (void)http::render_metrics(snap.get());
  return 0;
}
