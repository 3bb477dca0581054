// SPDX-License-Identifier: Apache-2.0
// A complete RFC 5322 / MIME message (multipart/alternative: text and HTML),
// built as a pure function. Dot-stuffing is left to libcurl.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/facts.hpp"

namespace complyd::notify {

struct MimeMessage {
  std::string from;
  std::vector<std::string> to;
  std::string subject;  // UTF-8; encoded per RFC 2047 when not ASCII
  std::string text;     // UTF-8
  std::string html;     // UTF-8
  Time date{};
  std::string message_id;  // with angle brackets
};

// CRLF line endings throughout; bodies base64 (safe for any UTF-8 and line length).
std::string build_mime(const MimeMessage& m);

// "=?UTF-8?B?...?=" words (folded) for non-ASCII; ASCII returned unchanged.
std::string encode_header_words(std::string_view text);
// "Sun, 22 Nov 2026 12:00:00 +0000"
std::string rfc5322_date(Time t);
// <hash-of-key@domain-of-from>: stable for one idempotency key, so a retry
// that reaches the recipient twice is recognisably the same message.
std::string make_message_id(std::string_view idempotency_key, std::string_view from);
std::string base64(std::string_view data);

}  // namespace complyd::notify
