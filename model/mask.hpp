// SPDX-License-Identifier: Apache-2.0
// Credentials inside URLs and DSNs, masked wherever complyd shows one: the
// userinfo's password (or a userinfo without one, e.g. a token as the user
// name) and the values of query parameters named like a secret. Pure; the
// redaction layer applies it to every text that leaves (daemon/log/redact.hpp).
#pragma once

#include <string>
#include <string_view>

namespace complyd {

inline constexpr std::string_view kMasked = "[REDACTED]";

// postgres://app:PW@db/app -> postgres://app:[REDACTED]@db/app;
// https://x/hook?token=PW&a=1 -> https://x/hook?token=[REDACTED]&a=1.
// Text without "://", "?" or "&" is returned unchanged.
std::string mask_url_credentials(std::string_view text);

}  // namespace complyd
