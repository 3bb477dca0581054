// SPDX-License-Identifier: Apache-2.0
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
#include "checks/params.hpp"

namespace complyd {

struct LeakScanOptions {
  // Thresholds as in LeakScanParams, whose defaults these are.
  double min_entropy_bits_per_char = LeakScanParams{}.min_entropy_bits_per_char;
  std::size_t min_value_length = static_cast<std::size_t>(LeakScanParams{}.min_value_length);
  // E-mail addresses are looked for only in files classed as logs.
  bool is_log = false;
  std::vector<std::string> ignore_email_domains;  // lower case
};

// The options as configured under [checks.leak-scan]. The files source builds
// its options with this, so a threshold is configured in one place.
LeakScanOptions leak_scan_options(const LeakScanParams& params);

// A key whose value stands on the next line, left by the last line of one
// chunk for the first line of the next (the files source reads a file in
// chunks of complete lines and keeps this in its scan state). The key's name
// only, never a value.
struct LeakPending {
  std::string key;         // empty: nothing pending
  bool env_entry = false;  // `- name: KEY`: the value is the next line's `value:`
  bool operator==(const LeakPending&) const = default;
};

// Scans `text`, whose first line is line number `first_line` of `file`.
// Lines end at '\n'; a match never spans lines, except a secret-looking key
// alone on its line with its value on the next one: a Kubernetes env entry
// (`- name: X_TOKEN` then `value: ...`), a YAML key or block scalar
// (`api_token:` or `api_token: |` then the value), pretty-printed JSON
// (`"api_token":` then `"..."`); the hit is on the value's line. Hits are
// unique per (line, kind) (repeats counted in `occurrences`), sorted by line
// then kind. `pending` is the context from the previous chunk of the same
// file (its last line was such a key) and is replaced by this chunk's.
std::vector<LeakHit> scan_text(std::string_view text, const std::string& file, std::size_t first_line,
                               const LeakScanOptions& opts, LeakPending& pending);
// A whole text, or a first chunk: nothing pending before or kept after.
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
