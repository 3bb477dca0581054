#include "daemon/log/redact.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace complyd {
namespace {

struct Registry {
  std::shared_mutex mu;
  std::vector<std::string> values;
};

Registry& registry() {
  static Registry r;
  return r;
}

const RE2& bearer_re() {
  static const RE2 re(R"((?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,})");
  return re;
}
const RE2& assignment_re() {
  // key = value / "key": "value" for secret-looking keys.
  static const RE2 re(
      R"re((?i)((?:security_?token|api_?token|access_?token|refresh_?token|token|api_?key|secret|password|passwd|authorization|private_?key)["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token)\s+)?)[^\s"',;&\[]{6,})re");
  return re;
}
const RE2& pan_re() {
  // 13-19 digit runs, optionally grouped: card-number shaped.
  static const RE2 re(R"(\b(?:\d[ -]?){12,18}\d\b)");
  return re;
}
const RE2& private_key_re() {
  static const RE2 re(R"(-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*(?:-----END [A-Z ]*PRIVATE KEY-----)?)");
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

}  // namespace

void register_secret(std::string_view value) {
  // Trim a trailing newline, as secret files usually end with one.
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
  if (value.size() < 6) return;
  auto& r = registry();
  std::unique_lock lock(r.mu);
  if (std::find(r.values.begin(), r.values.end(), value) == r.values.end()) {
    r.values.emplace_back(value);
    // Longest first, so a secret that contains another is masked whole.
    std::sort(r.values.begin(), r.values.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }
}

void clear_registered_secretsForTest() {
  auto& r = registry();
  std::unique_lock lock(r.mu);
  r.values.clear();
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    auto& r = registry();
    std::shared_lock lock(r.mu);
    for (const auto& v : r.values) {
      for (auto pos = out.find(v); pos != std::string::npos; pos = out.find(v, pos)) {
        out.replace(pos, v.size(), "[REDACTED]");
        pos += 10;
      }
    }
  }
  if (!may_hold_secret(out)) return out;
  RE2::GlobalReplace(&out, private_key_re(), "[REDACTED PRIVATE KEY]");
  // Assignments first: "Authorization: Bearer x" keeps its scheme word.
  RE2::GlobalReplace(&out, assignment_re(), "\\1[REDACTED]");
  RE2::GlobalReplace(&out, bearer_re(), "\\1[REDACTED]");
  RE2::GlobalReplace(&out, pan_re(), "[REDACTED PAN]");
  return out;
}

}  // namespace complyd
