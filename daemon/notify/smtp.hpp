// SPDX-License-Identifier: Apache-2.0
// SMTP delivery with libcurl: one easy handle (so one connection) per batch.
// STARTTLS is required for smtp:// unless tls = "none" (loopback only, checked
// by the config loader); certificates are always verified.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace complyd::notify {

struct SendResult {
  bool ok = false;
  bool connection_failed = false;  // the server was not reached: stop the batch
  long code = 0;                   // last SMTP reply code
  std::string reply;               // "250 accepted" or the error (no secrets: passed through redact)
};

class SmtpSession {
 public:
  explicit SmtpSession(const SmtpConfig& config);
  ~SmtpSession();
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;

  SendResult send(const std::vector<std::string>& recipients, const std::string& message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The address inside "Name <addr>", or the text itself.
std::string envelope_address(const std::string& from);

}  // namespace complyd::notify
