// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/http_post.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "daemon/log/redact.hpp"
#include "daemon/sources/http_client.hpp"

namespace complyd::notify {

namespace {

// A receiver's reply body is not kept (it could echo anything); a little is read and dropped.
std::size_t discard_body(char*, std::size_t size, std::size_t n, void*) { return size * n; }

std::size_t keep_retry_after(char* p, std::size_t size, std::size_t n, void* user) {
  const std::size_t bytes = size * n;
  std::string_view line(p, bytes);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    std::string head(line.substr(0, name.size()));
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == name) {
      std::string_view v = line.substr(name.size());
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
      *static_cast<std::string*>(user) = std::string(v);
    }
  }
  return bytes;
}

}  // namespace

HttpPostResult::Outcome outcome_of_status(long status) {
  if (status >= 200 && status < 300) return HttpPostResult::Outcome::sent;
  if (status == 429 || status >= 500) return HttpPostResult::Outcome::retry;
  // 4xx: the request itself is refused (a bad token, a removed hook); 1xx/3xx: misconfigured url.
  return HttpPostResult::Outcome::dead;
}

HttpPostResult http_post(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                         const HttpDeliveryConfig& d) {
  HttpPostResult r;
  CURL* c = curl_easy_init();
  if (c == nullptr) {
    r.reply = "cannot initialise libcurl";
    return r;
  }
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string retry_after;
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!d.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, d.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(d.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(d.timeout.count()));
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "complyd/" COMPLYD_VERSION);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_retry_after);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &retry_after);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    r.status = 0;
    r.outcome = HttpPostResult::Outcome::retry;
    r.reply = redact(fmt::format("{} ({})", curl_easy_strerror(rc), errbuf[0] != '\0' ? errbuf : "no detail"));
    return r;
  }
  r.outcome = outcome_of_status(r.status);
  r.reply = fmt::format("HTTP {}", r.status);
  if (r.outcome == HttpPostResult::Outcome::retry && !retry_after.empty()) {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    if (auto s = parse_retry_after(retry_after, now)) {
      r.retry_after = Duration{s->count()};
      r.reply += fmt::format(", Retry-After {} s", s->count());
    }
  }
  return r;
}

}  // namespace complyd::notify
