// The leak detector behind leak-scan: pure functions over text, RE2
// patterns, no I/O. The files source reads the bytes and calls scan_text; the
// check only turns the resulting hits into findings.
//
// A hit never carries the matched value: its excerpt is built from the key
// name and the value's length only ("securityToken=[REDACTED] (44 chars)"),
// and no hash of the value is kept (a PAN or a short password is cheap to
// brute-force from any unkeyed hash).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/check.hpp"

namespace complyd {

struct LeakScanOptions {
  // An assignment or bearer value counts only if it is at least this long and
  // this random (Shannon entropy over its characters): placeholders such as
  // `password=changeme` or `token=abc` do not alarm.
  double min_entropy_bits_per_char = 3.5;
  std::size_t min_value_length = 16;
  // E-mail addresses are looked for only in files classed as logs.
  bool is_log = false;
  // Addresses at these domains (and their subdomains) are not donors' (lower case).
  std::vector<std::string> ignore_email_domains;
};

// The options as configured under [checks.leak-scan] (its Params; missing
// names fall back to the defaults above). The files source builds its options
// with this, so a threshold is configured in one place.
LeakScanOptions leak_scan_options(const Params& params);

// Scans `text`, whose first line is line number `first_line` of `file`.
// Lines end at '\n'; a match never spans lines. Hits are unique per
// (line, kind) (repeats counted in `occurrences`), sorted by line then kind.
std::vector<LeakHit> scan_text(std::string_view text, const std::string& file, std::size_t first_line,
                               const LeakScanOptions& opts);

// A whole-file hit if `file`'s name is an environment file (.env, .env.local,
// production.env; not .env.example, .env.sample, .env.template, .env.dist).
std::optional<LeakHit> env_file_hit(const std::string& file);
bool is_env_file_name(std::string_view filename);

// The simple rule for "this file is a log": the name ends in .log or has
// .log. in it (rotated: worker.log.1), or a directory on its path is named
// log or logs.
bool is_log_path(std::string_view path);

// Helpers, exposed for tests.
double shannon_entropy(std::string_view s);  // bits per character
bool luhn_valid(std::string_view digits);    // digits only

}  // namespace complyd
