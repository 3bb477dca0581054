// SPDX-License-Identifier: Apache-2.0
// One POST of an HTTP notification channel with libcurl: TLS verification
// always on (an extra CA allowed), connect and total timeouts, no redirects,
// no retries here (the outbox retries). The result says which outbox rule
// applies: 2xx sent, 4xx other than 429 dead at once, the rest retried.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace complyd::notify {

struct HttpPostResult {
  enum class Outcome { sent, retry, dead };
  Outcome outcome = Outcome::retry;
  long status = 0;                    // 0: no response (transport error)
  std::optional<Duration> retry_after;  // from a 429/5xx's Retry-After
  std::string reply;                  // "HTTP 200" or the error; never a header value or the body
};

// `headers`: "Name: value". The caller never logs them (they may carry a token).
HttpPostResult http_post(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                         const HttpDeliveryConfig& delivery);

// The outbox rule for a response status.
HttpPostResult::Outcome outcome_of_status(long status);

}  // namespace complyd::notify
