// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <stdexcept>
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "daemon/log/redact.hpp"
#include "daemon/util/bounded_file.hpp"

namespace complyd::notify {

namespace {

struct Upload {
  const std::string* data;
  std::size_t pos = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, u->data->size() - u->pos);
  std::memcpy(buf, u->data->data() + u->pos, len);
  u->pos += len;
  return len;
}

std::string read_password(const std::filesystem::path& p) {
  if (p.empty()) return {};
  std::string error;
  auto text = read_bounded_file(p, kMaxSecretFileBytes, error);
  if (!text) throw std::runtime_error("smtp.password_file: " + error);  // the config check read it; it changed since
  std::string s = std::move(*text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

bool connection_level(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string envelope_address(const std::string& from) {
  auto lt = from.find('<'), gt = from.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) return from.substr(lt + 1, gt - lt - 1);
  return from;
}

struct SmtpSession::Impl {
  CURL* curl = nullptr;
  SmtpConfig config;
  std::string password;
  char errbuf[CURL_ERROR_SIZE] = {};
};

SmtpSession::SmtpSession(const SmtpConfig& config) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->password = read_password(config.password_file);
  impl_->curl = curl_easy_init();
  if (impl_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
}

SmtpSession::~SmtpSession() {
  if (impl_->curl != nullptr) curl_easy_cleanup(impl_->curl);
  std::fill(impl_->password.begin(), impl_->password.end(), '\0');
}

SendResult SmtpSession::send(const std::vector<std::string>& recipients, const std::string& message) {
  CURL* c = impl_->curl;
  const auto& cfg = impl_->config;
  // Options are set per message on the same handle: curl keeps the
  // connection open between transfers, so a batch uses one connection.
  curl_easy_setopt(c, CURLOPT_URL, cfg.url.c_str());
  curl_easy_setopt(c, CURLOPT_USE_SSL, cfg.tls == "none" ? static_cast<long>(CURLUSESSL_NONE)
                                                         : static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!cfg.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(cfg.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(cfg.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!cfg.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, cfg.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, impl_->password.c_str());
  }
  const std::string from = "<" + envelope_address(cfg.from) + ">";
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_slist* rcpt = nullptr;
  for (const auto& r : recipients) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  Upload up{&message};
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  impl_->errbuf[0] = '\0';
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, impl_->errbuf);

  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(rcpt);
  SendResult r;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
  if (rc == CURLE_OK) {
    r.ok = true;
    r.reply = fmt::format("{} accepted", r.code);
    return r;
  }
  r.connection_failed = connection_level(rc);
  const std::string detail = impl_->errbuf[0] != '\0' ? impl_->errbuf : curl_easy_strerror(rc);
  r.reply = redact(r.code != 0 ? fmt::format("{} ({}; last reply code {})", curl_easy_strerror(rc), detail, r.code)
                               : fmt::format("{} ({})", curl_easy_strerror(rc), detail));
  return r;
}

}  // namespace complyd::notify
