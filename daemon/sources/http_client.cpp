// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/http_client.hpp"

#include <curl/curl.h>
#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/util/bounded_file.hpp"

namespace complyd {

namespace {

std::atomic<bool> g_stop{false};
HttpTransportForTest g_transport_for_test;

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return g_stop.load() ? 1 : 0; }

struct Received {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool too_large = false;
};

std::size_t on_body(char* p, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<Received*>(user);
  const std::size_t bytes = size * n;
  if (r->body.size() + bytes > HttpClient::kMaxBody) {
    r->too_large = true;
    return 0;  // aborts the transfer
  }
  r->body.append(p, bytes);
  return bytes;
}

std::size_t on_header(char* p, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<Received*>(user);
  const std::size_t bytes = size * n;
  std::string_view line(p, bytes);
  if (line.starts_with("HTTP/")) r->headers.clear();  // a new response (after 100-continue)
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    r->headers.emplace_back(std::move(name), std::string(value));
  }
  return bytes;
}

bool retryable_status(long s) { return s == 429 || s == 502 || s == 503 || s == 504 || s == 500; }

bool retryable_curl(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

// What an operator should do about a transport error.
std::string curl_hint(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return "the host name does not resolve (check the url)";
    case CURLE_COULDNT_CONNECT:
      return "connection refused or unreachable (is the service up, is the port right?)";
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out (raise timeout/connect_timeout or check the network)";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
      return "TLS verification failed (set ca_file to the CA that signed the server's certificate)";
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return "the connection broke mid-response";
    case CURLE_UNSUPPORTED_PROTOCOL:
      return "only http and https are supported";
    default:
      return "transport error";
  }
}

}  // namespace

void request_sources_stop(bool stop) { g_stop = stop; }

void set_http_transport_for_test(HttpTransportForTest transport) { g_transport_for_test = std::move(transport); }

void interruptible_sleep(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!g_stop.load()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
  }
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

HttpClient::HttpClient(std::string source, SourceCommon common, Sleep sleep)
    : source_(std::move(source)), common_(std::move(common)), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = interruptible_sleep;
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw SourceError(source_ + ": cannot initialise libcurl");
  deadline_ = std::chrono::steady_clock::now() + common_.deadline;
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

void HttpClient::start() { deadline_ = std::chrono::steady_clock::now() + common_.deadline; }

std::chrono::milliseconds HttpClient::remaining() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
}

std::string HttpClient::describe(const HttpRequest& r) const {
  if (!r.what.empty()) return r.what;
  return r.method + " " + url_for_messages(r.url);
}

HttpResponse HttpClient::send(const HttpRequest& req) {
  CURL* c = static_cast<CURL*>(curl_);
  const std::string what = describe(req);
  last_attempts_ = 0;
  for (int attempt = 1;; ++attempt) {
    if (g_stop.load()) throw SourceError(fmt::format("{}: {}: stopped: complyd is shutting down", source_, what));
    const auto left = remaining();
    if (left.count() <= 0) {
      throw SourceError(fmt::format("{}: {}: the source deadline ({} s) passed; raise 'deadline' or check why the "
                                    "service is slow",
                                    source_, what, common_.deadline.count()));
    }
    last_attempts_ = attempt;
    ++requests_;
    if (g_transport_for_test) return g_transport_for_test(req);
    curl_easy_reset(c);
    Received got;
    curl_slist* headers = nullptr;
    for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!common_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, common_.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<std::int64_t>(common_.connect_timeout.count() * 1000, left.count())));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::min<std::int64_t>(common_.timeout.count() * 1000, left.count())));
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "complyd/" COMPLYD_VERSION);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &got);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (headers != nullptr) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (req.method == "POST") {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    } else if (req.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    if (!req.aws_sigv4.empty()) {
      curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req.aws_sigv4.c_str());
      curl_easy_setopt(c, CURLOPT_USERNAME, req.aws_access_key.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, req.aws_secret_key.c_str());
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

    std::string failure;  // empty: a response to return
    std::optional<std::chrono::milliseconds> wait;
    if (got.too_large) {
      throw SourceError(fmt::format("{}: {}: response larger than {} MiB; narrow the query or page size", source_,
                                    what, kMaxBody >> 20));
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      throw SourceError(fmt::format("{}: {}: stopped: complyd is shutting down", source_, what));
    }
    if (rc != CURLE_OK) {
      failure = fmt::format("{} ({})", curl_hint(rc), curl_easy_strerror(rc));
      if (!retryable_curl(rc)) throw SourceError(fmt::format("{}: {}: {}", source_, what, failure));
    } else if (retryable_status(status)) {
      failure = fmt::format("HTTP {}", status);
      if (auto ra = got.headers.empty() ? std::nullopt : HttpResponse{status, {}, got.headers}.header("retry-after")) {
        if (auto s = parse_retry_after(*ra, std::chrono::time_point_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now()))) {
          wait = std::chrono::duration_cast<std::chrono::milliseconds>(*s);
          failure += fmt::format(", Retry-After {} s", s->count());
        }
      }
    } else {
      HttpResponse r;
      r.status = status;
      r.body = std::move(got.body);
      r.headers = std::move(got.headers);
      return r;
    }

    if (attempt >= common_.max_attempts) {
      throw SourceError(fmt::format("{}: {}: {} after {} attempt{}", source_, what, failure, attempt,
                                    attempt == 1 ? "" : "s"));
    }
    if (!wait) {
      const std::chrono::milliseconds backoff =
          std::chrono::duration_cast<std::chrono::milliseconds>(common_.retry_initial) * (1LL << std::min(attempt - 1, 20));
      wait = std::min(backoff, std::chrono::milliseconds(std::chrono::duration_cast<std::chrono::milliseconds>(common_.retry_max)));
    }
    if (*wait >= remaining()) {
      throw SourceError(fmt::format("{}: {}: {}; waiting {} ms more would pass the source deadline ({} s)", source_,
                                    what, failure, wait->count(), common_.deadline.count()));
    }
    CLOG(warning) << source_ << ": " << what << ": " << failure << "; retrying in " << wait->count() << " ms (attempt "
                  << attempt + 1 << " of " << common_.max_attempts << ")";
    sleep_(*wait);
  }
}

HttpResponse HttpClient::get_ok(const HttpRequest& req, std::string_view auth_hint) {
  HttpResponse r = send(req);
  if (r.status >= 200 && r.status < 300) return r;
  const std::string what = describe(req);
  if (r.status == 401 || r.status == 403) {
    throw SourceError(fmt::format("{}: {}: authentication refused (HTTP {}){}{}", source_, what, r.status,
                                  auth_hint.empty() ? "" : "; ", auth_hint));
  }
  if (r.status == 404) throw SourceError(fmt::format("{}: {}: not found (HTTP 404); check the url and path", source_, what));
  if (r.status >= 300 && r.status < 400) {
    throw SourceError(fmt::format("{}: {}: unexpected redirect (HTTP {}); configure the final url", source_, what, r.status));
  }
  throw SourceError(fmt::format("{}: {}: unexpected HTTP {}", source_, what, r.status));
}

nlohmann::json parse_json_body(const HttpResponse& r, std::string_view source, std::string_view what) {
  try {
    return nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw SourceError(fmt::format("{}: {}: malformed or truncated JSON (at byte {} of {})", source, what, e.byte,
                                  r.body.size()));
  } catch (const nlohmann::json::out_of_range&) {
    // 1e999; its own message would quote the body.
    throw SourceError(fmt::format("{}: {}: a number too large for a JSON number", source, what));
  }
}

std::string url_for_messages(std::string_view url) {
  std::string_view u = url;
  const auto q = u.find_first_of("?#");
  if (q != std::string_view::npos) u = u.substr(0, q);
  const auto scheme = u.find("://");
  if (scheme == std::string_view::npos) return std::string(u);
  const auto host_start = scheme + 3;
  const auto at = u.find('@', host_start);
  const auto slash = u.find('/', host_start);
  if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
    return std::string(u.substr(0, host_start)) + std::string(u.substr(at + 1));
  }
  return std::string(u);
}

std::string check_source_url(std::string_view url) {
  if (url.starts_with("https://")) return url.size() > 8 ? "" : "the url has no host";
  if (url.starts_with("http://")) {
    std::string_view rest = url.substr(7);
    for (std::string_view host : {"127.0.0.1", "localhost", "[::1]"}) {
      if (rest.starts_with(host) && (rest.size() == host.size() || rest[host.size()] == ':' || rest[host.size()] == '/'))
        return "";
    }
    return "must be https:// (plain http is accepted only for a loopback host)";
  }
  return "must start with https://";
}

std::string read_secret_file(const std::filesystem::path& file, std::string_view source) {
  std::string error;
  auto text = read_bounded_file(file, kMaxSecretFileBytes, error);
  if (!text) throw SourceError(fmt::format("{}: {}", source, error));
  std::string v = std::move(*text);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
  if (v.empty()) throw SourceError(fmt::format("{}: '{}' is empty", source, file.string()));
  register_secret(v);
  return v;
}

std::string url_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  return out;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view v, std::chrono::sys_seconds now) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stoll(std::string(v)));
  }
  std::istringstream in{std::string(v)};
  date::sys_seconds t;
  in >> date::parse("%a, %d %b %Y %H:%M:%S GMT", t);
  if (in.fail()) return std::nullopt;
  return t > now ? std::chrono::duration_cast<std::chrono::seconds>(t - now) : std::chrono::seconds{0};
}

}  // namespace complyd
