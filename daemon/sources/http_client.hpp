// SPDX-License-Identifier: Apache-2.0
// The HTTP edge every remote source shares (vault, aws-secrets-manager,
// platform, prometheus): libcurl with TLS verification always on (an extra
// CA bundle allowed), connect and per-request timeouts, retries with
// exponential backoff on transport errors, 429 and 5xx honouring
// Retry-After, and one deadline for the whole source per cycle.
//
// Failures throw SourceError with a message that says what to fix. Messages
// never carry response bodies, header values or query strings (tokens travel
// in headers; the query may carry page tokens).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/source_config.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, LIST (Vault)
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  // libcurl's built-in AWS SigV4 ("aws:amz:REGION:SERVICE"), signed with
  // aws_access_key / aws_secret_key.
  std::string aws_sigv4;
  std::string aws_access_key, aws_secret_key;
  std::string what;  // for messages, e.g. "LIST kv/metadata/raise/"; defaults to method + path
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::optional<std::string> header(std::string_view lowercase_name) const;
};

class HttpClient {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  // `source`: the source's name, first word of every error message.
  HttpClient(std::string source, SourceCommon common, Sleep sleep = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts the per-cycle deadline; call at the start of collect().
  void start();

  // Sends with retries. Returns the final response whatever its status, except
  // that 429/5xx still failing after the last attempt, transport errors and
  // the deadline throw.
  HttpResponse send(const HttpRequest& request);

  // send() and require 2xx. 401/403 say "authentication refused" + `auth_hint`
  // (e.g. "check token_file and the policy"); 404 says "not found".
  HttpResponse get_ok(const HttpRequest& request, std::string_view auth_hint);

  // Attempts made by the last send() (tests, sources test).
  int last_attempts() const { return last_attempts_; }
  std::int64_t requests() const { return requests_; }

  // Largest response body accepted.
  static constexpr std::size_t kMaxBody = std::size_t{64} << 20;

 private:
  std::string describe(const HttpRequest& r) const;
  std::chrono::milliseconds remaining() const;

  std::string source_;
  SourceCommon common_;
  Sleep sleep_;
  void* curl_ = nullptr;  // one handle per source: connections are reused
  std::chrono::steady_clock::time_point deadline_;
  int last_attempts_ = 0;
  std::int64_t requests_ = 0;
};

// A stand-in for the network, for the fuzz targets (tests/fuzz/): while set,
// every send() returns its answer, once, instead of asking libcurl (no
// retries). Process-wide; not for the daemon.
using HttpTransportForTest = std::function<HttpResponse(const HttpRequest&)>;
void set_http_transport_for_test(HttpTransportForTest transport);

// Shutdown: SIGTERM must not wait out a source's deadline. Once a stop is
// requested, requests in flight are aborted, retry waits are cut short and
// the source fails with "complyd is shutting down" (the cycle is abandoned).
void request_sources_stop(bool stop = true);
// Sleeps up to `d`, returning early when a stop is requested.
void interruptible_sleep(std::chrono::milliseconds d);

// Parses a response body; malformed or truncated JSON throws SourceError
// naming `what` and the byte offset, never the body.
nlohmann::json parse_json_body(const HttpResponse& response, std::string_view source, std::string_view what);

// scheme://host[:port]/path of a URL: no userinfo, no query (for messages).
std::string url_for_messages(std::string_view url);

// https://, or http:// to a loopback host (tests, a local agent). Empty when
// acceptable, else the reason.
std::string check_source_url(std::string_view url);

// Reads a token or key file (trailing newline dropped), registers it for
// redaction, and throws SourceError naming the file (never its content)
// when it is missing, unreadable or empty.
std::string read_secret_file(const std::filesystem::path& file, std::string_view source);

// RFC 3986 percent-encoding of one path segment or query value.
std::string url_encode(std::string_view s);

// Retry-After: delta-seconds or an HTTP-date; nullopt when absent or invalid.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::chrono::sys_seconds now);

}  // namespace complyd
