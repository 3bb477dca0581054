// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/mime.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include "daemon/util/crypto.hpp"

namespace complyd::notify {

namespace {

// Header values never carry CR or LF (no header injection from data).
std::string one_line(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80 || (c < 0x20 && c != '\t')) return false;
  }
  return true;
}

std::string base64_lines(std::string_view data) {
  const std::string b = base64(data);
  std::string out;
  for (std::size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + "\r\n";
  return out;
}

}  // namespace

std::string base64(std::string_view data) {
  static constexpr char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += kAlpha[(v >> 18) & 63];
    out += kAlpha[(v >> 12) & 63];
    out += kAlpha[(v >> 6) & 63];
    out += kAlpha[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlpha[(v >> 18) & 63];
    out += kAlpha[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlpha[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string encode_header_words(std::string_view text) {
  const std::string s = one_line(text);
  if (is_ascii(s)) return s;
  // Encoded words of at most 45 bytes (60 base64 chars), never splitting a
  // UTF-8 sequence, folded onto continuation lines.
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t n = std::min<std::size_t>(45, s.size() - i);
    while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(s).substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string rfc5322_date(Time t) {
  return date::format("%a, %d %b %Y %H:%M:%S +0000", t);
}

std::string make_message_id(std::string_view key, std::string_view from) {
  auto at = from.rfind('@');
  std::string domain = at == std::string_view::npos ? "complyd.invalid" : std::string(from.substr(at + 1));
  while (!domain.empty() && domain.back() == '>') domain.pop_back();
  return fmt::format("<complyd.{}@{}>", sha256_hex(key).substr(0, 32), domain);
}

std::string build_mime(const MimeMessage& m) {
  const std::string boundary = "=_complyd_" + sha256_hex(m.message_id).substr(0, 24);
  std::string to;
  for (const auto& a : m.to) to += (to.empty() ? "" : ", ") + one_line(a);
  std::string out;
  out += "Date: " + rfc5322_date(m.date) + "\r\n";
  out += "From: " + one_line(m.from) + "\r\n";
  out += "To: " + to + "\r\n";
  out += "Subject: " + encode_header_words(m.subject) + "\r\n";
  out += "Message-ID: " + one_line(m.message_id) + "\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "X-Auto-Response-Suppress: All\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "This is a MIME message with a text and an HTML part.\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(m.text);
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace complyd::notify
