// SPDX-License-Identifier: Apache-2.0
// A TOML table being validated: every key read is remembered, finish()
// reports the rest, and every problem carries file:line:column. Shared by the
// config loader and the per-type [[sources]] parsers (daemon/sources/).
#pragma once

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <toml++/toml.h>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/util/bounded_file.hpp"
#include "model/time.hpp"

namespace complyd::cfg {

namespace fs = std::filesystem;

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void add(const toml::source_region& where, std::string message) {
    items_.push_back({file_, where.begin.line, where.begin.column, std::move(message)});
  }
  // A problem in another file (the mutelist), already placed.
  void add(ConfigDiagnostic item) { items_.push_back(std::move(item)); }
  std::vector<ConfigDiagnostic> take() { return std::move(items_); }
  bool empty() const { return items_.empty(); }

 private:
  std::string file_;
  std::vector<ConfigDiagnostic> items_;
};

inline bool looks_like_inline_secret(std::string_view key) {
  static const RE2 re(R"((?i)(password|passwd|secret|token|api_?key|private_?key|credential))");
  return RE2::PartialMatch(key, re) && !key.ends_with("_file") && !key.ends_with("_files");
}

// A TOML table with its dotted name. Every key read is remembered; finish()
// reports the rest as unknown (userver's additionalProperties: false).
class Section {
 public:
  Section(const toml::table& t, std::string name, Diagnostics& d) : t_(t), name_(std::move(name)), d_(d) {}

  const toml::node* node(std::string_view key) {
    known_.emplace(key);
    return t_.get(key);
  }

  std::optional<std::string> string(std::string_view key, const std::set<std::string>& allowed = {}) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    auto v = n->value<std::string>();
    if (!n->is_string() || !v) {
      type_error(*n, key, "a string");
      return std::nullopt;
    }
    if (!allowed.empty() && !allowed.contains(*v)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      d_.add(n->source(), fmt::format("{}: '{}' is not one of: {}", path(key), *v, list));
      return std::nullopt;
    }
    return v;
  }

  std::optional<fs::path> path_value(std::string_view key, const fs::path& base) {
    auto s = string(key);
    if (!s) return std::nullopt;
    if (s->empty()) {
      d_.add(t_.get(key)->source(), fmt::format("{}: must not be empty", path(key)));
      return std::nullopt;
    }
    fs::path p(*s);
    return p.is_absolute() ? p : base / p;
  }

  // A secret's *_file path. "%d/NAME" names a systemd credential: the file
  // NAME in $CREDENTIALS_DIRECTORY (LoadCredential= in complyd.service).
  std::optional<fs::path> secret_file_value(std::string_view key, const fs::path& base) {
    auto s = string(key);
    if (!s) return std::nullopt;
    if (!s->starts_with('%')) return path_value(key, base);
    const auto& where = t_.get(key)->source();
    const std::string name = s->substr(std::min<std::size_t>(3, s->size()));
    if (!s->starts_with("%d/")) {
      d_.add(where, fmt::format("{}: '{}': the only placeholder is '%d/NAME' (the systemd credential NAME)",
                                path(key), *s));
      return std::nullopt;
    }
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      d_.add(where, fmt::format("{}: '{}': '%d/' must be followed by a credential name without '/'", path(key), *s));
      return std::nullopt;
    }
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir != '/') {
      d_.add(where, fmt::format("{}: '{}' names a systemd credential, but $CREDENTIALS_DIRECTORY is not set "
                                "(run under complyd.service with LoadCredential=, or set it to the directory "
                                "holding '{}')",
                                path(key), *s, name));
      return std::nullopt;
    }
    return fs::path(dir) / name;
  }

  std::optional<Duration> duration(std::string_view key, Duration min, Duration max) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    return duration_of(*n, path(key), min, max);
  }

  std::optional<Duration> duration_of(const toml::node& n, const std::string& what, Duration min, Duration max) {
    auto s = n.value<std::string>();
    if (!n.is_string() || !s) {
      d_.add(n.source(), fmt::format("{}: expected a duration string such as \"90d\", \"1h\" or \"10m\"", what));
      return std::nullopt;
    }
    // A long value is not echoed: thousands of characters would bury the message.
    const std::string shown = s->size() <= 32 ? fmt::format("'{}'", *s) : fmt::format("a {}-character value", s->size());
    auto d = parse_duration(*s);
    if (!d) {
      d_.add(n.source(), fmt::format("{}: {} is not a duration (use a number and a unit: s, m, h, d, w, y; at most "
                                     "1000000000y in all)",
                                     what, shown));
      return std::nullopt;
    }
    if (*d < min || *d > max) {
      d_.add(n.source(), fmt::format("{}: {} is out of range ({} to {})", what, s->size() <= 32 ? *s : shown,
                                     format_duration(min),
                                     format_duration(max)));
      return std::nullopt;
    }
    return d;
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) {
      type_error(*n, key, "an integer");
      return std::nullopt;
    }
    auto v = *n->value<std::int64_t>();
    if (v < min || v > max) {
      d_.add(n->source(), fmt::format("{}: {} is out of range ({} to {})", path(key), v, min, max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> number(std::string_view key, double min, double max) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_number()) {
      type_error(*n, key, "a number");
      return std::nullopt;
    }
    auto v = *n->value<double>();
    // TOML has nan and inf, and nan compares false with every bound.
    if (!std::isfinite(v)) {
      d_.add(n->source(), fmt::format("{}: {} is not a finite number", path(key), v));
      return std::nullopt;
    }
    if (v < min || v > max) {
      d_.add(n->source(), fmt::format("{}: {} is out of range ({} to {})", path(key), v, min, max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) {
      type_error(*n, key, "true or false");
      return std::nullopt;
    }
    return *n->value<bool>();
  }

  std::optional<std::vector<std::string>> string_list(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    const toml::array* a = n->as_array();
    if (a == nullptr) {
      type_error(*n, key, "an array of strings");
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& el : *a) {
      if (!el.is_string()) {
        d_.add(el.source(), fmt::format("{}: every element must be a string", path(key)));
        ok = false;
        continue;
      }
      out.push_back(*el.value<std::string>());
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // A sub-table; nullopt if absent or not a table (the latter reported).
  std::optional<Section> table(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) return std::nullopt;
    const toml::table* t = n->as_table();
    if (t == nullptr) {
      type_error(*n, key, "a table");
      return std::nullopt;
    }
    return Section(*t, path(key), d_);
  }

  // An array of tables ([[key]]), each as a Section named key[N] (1-based).
  std::vector<Section> tables(std::string_view key) {
    std::vector<Section> out;
    const toml::node* n = node(key);
    if (n == nullptr) return out;
    const toml::array* a = n->as_array();
    if (a == nullptr || !a->is_array_of_tables()) {
      d_.add(n->source(), fmt::format("{}: expected [[{}]] tables", path(key), path(key)));
      return out;
    }
    std::size_t i = 0;
    for (const auto& el : *a) out.emplace_back(*el.as_table(), fmt::format("{}[{}]", path(key), ++i), d_);
    return out;
  }

  void finish() {
    for (auto&& [k, v] : t_) {
      if (known_.contains(std::string(k.str()))) continue;
      if (looks_like_inline_secret(k.str())) {
        // Never echo the value: it may be a real secret.
        d_.add(k.source(), fmt::format("{}: secrets are not accepted inline; put the value in a file readable "
                                       "only by complyd and set '{}_file' to its path",
                                       path(k.str()), k.str()));
      } else {
        d_.add(k.source(), fmt::format("unknown key '{}'{}", path(k.str()),
                                       name_.empty() ? std::string() : fmt::format(" in [{}]", name_)));
      }
    }
  }

  std::string path(std::string_view key) const {
    return name_.empty() ? std::string(key) : fmt::format("{}.{}", name_, key);
  }
  const std::string& name() const { return name_; }
  const toml::table& raw() const { return t_; }
  const toml::source_region& where() const { return t_.source(); }
  Diagnostics& diagnostics() { return d_; }

 private:
  void type_error(const toml::node& n, std::string_view key, const char* expected) {
    d_.add(n.source(), fmt::format("{}: expected {}", path(key), expected));
  }

  const toml::table& t_;
  std::string name_;
  Diagnostics& d_;
  std::set<std::string, std::less<>> known_;
};

inline const std::set<std::string> kSeverities{"info", "low", "medium", "high", "critical"};

inline void read_secret_file_for_redaction(Section& s, std::string_view key, const fs::path& p) {
  std::string error;
  auto text = read_bounded_file(p, kMaxSecretFileBytes, error);
  if (!text) {
    s.diagnostics().add(s.raw().get(key)->source(), fmt::format("{}: {}", s.path(key), error));
    return;
  }
  register_secret(*text);  // masked wherever it might surface
}

}  // namespace complyd::cfg
