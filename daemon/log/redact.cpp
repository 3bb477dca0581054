// SPDX-License-Identifier: Apache-2.0
#include "daemon/log/redact.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "model/mask.hpp"

namespace complyd {
namespace {

// Registered rarely (when secret files are read), read on every redaction,
// by several threads at once: each thread keeps the list it last saw and
// takes the lock only when the version has moved (a shared lock per call
// made the threads contend for its cache line).
struct Registry {
  std::mutex mu;
  std::atomic<std::uint64_t> version{0};
  std::shared_ptr<const std::vector<std::string>> values = std::make_shared<const std::vector<std::string>>();
};

Registry& registry() {
  static Registry r;
  return r;
}

const std::vector<std::string>& registered_values() {
  thread_local std::uint64_t seen = 0;
  thread_local std::shared_ptr<const std::vector<std::string>> values;
  auto& r = registry();
  if (!values || r.version.load(std::memory_order_acquire) != seen) {
    std::lock_guard lock(r.mu);
    values = r.values;
    seen = r.version.load(std::memory_order_relaxed);
  }
  return *values;
}

// The patterns, case-insensitive ones without their flag so that any_re()
// can combine them.
constexpr const char* kBearer = R"((bearer\s+)[A-Za-z0-9._~+/=-]{6,})";
// key = value / "key": "value" for secret-looking keys; group 2 is the value.
constexpr const char* kAssignment =
    R"re(((?:security_?token|api_?token|access_?token|refresh_?token|token|api_?key|secret|password|passwd|authorization|private_?key)["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token)\s+)?)([^\s"',;&\[]{6,}))re";
// 13-19 digit runs, optionally grouped: card-number shaped.
constexpr const char* kPan = R"(\b(?:\d[ -]?){12,18}\d\b)";
constexpr const char* kPrivateKey = R"(-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*(?:-----END [A-Z ]*PRIVATE KEY-----)?)";

const RE2& bearer_re() {
  static const RE2 re(std::string("(?i)") + kBearer);
  return re;
}
const RE2& assignment_re() {
  static const RE2 re(std::string("(?i)") + kAssignment);
  return re;
}
const RE2& pan_re() {
  static const RE2 re(kPan);
  return re;
}
const RE2& private_key_re() {
  static const RE2 re(kPrivateKey);
  return re;
}
// Matches wherever one of the four matches: when it does not, none of the
// replacements below would change the text, so one scan replaces four.
const RE2& any_re() {
  static const RE2 re(std::string("(?i:") + kBearer + ")|(?i:" + kAssignment + ")|(?:" + kPan + ")|(?:" +
                      kPrivateKey + ")");
  return re;
}

// A cheap pass that rules out the common case (no keyword, no long digit
// run) before four regular expressions run: every finding text passes here.
bool may_hold_secret(std::string_view text) {
  static const RE2 keywords(R"((?i)(token|key|secret|passw|authoriz|bearer|basic))");
  int digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (++digits >= 13) return true;
    } else if (c != ' ' && c != '-') {
      digits = 0;
    }
  }
  return RE2::PartialMatch(text, keywords);
}

// "the webhook secret: generate a new one" is prose, not an assignment: an
// unquoted lower-case word after a colon that the sentence goes on from.
// Generated secrets are not lower-case words, and a value that ends its line
// ("password: hunter") is still masked.
bool is_prose(std::string_view prefix, std::string_view value, std::string_view rest) {
  if (prefix.empty() || (prefix.back() != ' ' && prefix.back() != '\t') ||
      prefix.find(':') == std::string_view::npos || prefix.find('=') != std::string_view::npos) {
    return false;
  }
  if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= 'a' && c <= 'z'; })) return false;
  return rest.size() >= 2 && rest[0] == ' ' && ((rest[1] >= 'a' && rest[1] <= 'z') || (rest[1] >= 'A' && rest[1] <= 'Z'));
}

// The assignment pattern's replacement, one match at a time so that prose is kept.
void redact_assignments(std::string& out) {
  std::string result;
  re2::StringPiece input(out), prefix, value;
  std::size_t done = 0;
  bool changed = false;
  while (RE2::FindAndConsume(&input, assignment_re(), &prefix, &value)) {
    const std::size_t value_end = static_cast<std::size_t>(value.data() - out.data()) + value.size();
    if (is_prose({prefix.data(), prefix.size()}, {value.data(), value.size()}, std::string_view(out).substr(value_end))) {
      continue;
    }
    const std::size_t value_at = static_cast<std::size_t>(value.data() - out.data());
    result.append(out, done, value_at - done);
    result += "[REDACTED]";
    done = value_end;
    changed = true;
  }
  if (!changed) return;
  result.append(out, done);
  out = std::move(result);
}

}  // namespace

void register_secret(std::string_view value) {
  // Trim a trailing newline, as secret files usually end with one.
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
  if (value.size() < 6) return;
  auto& r = registry();
  std::lock_guard lock(r.mu);
  if (std::find(r.values->begin(), r.values->end(), value) == r.values->end()) {
    auto values = std::make_shared<std::vector<std::string>>(*r.values);
    values->emplace_back(value);
    // Longest first, so a secret that contains another is masked whole.
    std::sort(values->begin(), values->end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    r.values = std::move(values);
    r.version.fetch_add(1, std::memory_order_release);
  }
}

void clear_registered_secretsForTest() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.values = std::make_shared<const std::vector<std::string>>();
  r.version.fetch_add(1, std::memory_order_release);
}

std::string redact(std::string_view text) {
  // Credentials in URLs and DSNs first: a short password after "user:" or a
  // `?token=` shorter than the patterns' six characters is masked too.
  std::string out = mask_url_credentials(text);
  for (const auto& v : registered_values()) {
    for (auto pos = out.find(v); pos != std::string::npos; pos = out.find(v, pos)) {
      out.replace(pos, v.size(), "[REDACTED]");
      pos += 10;
    }
  }
  if (!may_hold_secret(out) || !RE2::PartialMatch(out, any_re())) return out;
  RE2::GlobalReplace(&out, private_key_re(), "[REDACTED PRIVATE KEY]");
  // Assignments first: "Authorization: Bearer x" keeps its scheme word.
  redact_assignments(out);
  RE2::GlobalReplace(&out, bearer_re(), "\\1[REDACTED]");
  RE2::GlobalReplace(&out, pan_re(), "[REDACTED PAN]");
  return out;
}

}  // namespace complyd
