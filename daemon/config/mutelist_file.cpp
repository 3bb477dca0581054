// SPDX-License-Identifier: Apache-2.0
// The mutelist file: [[rule]] tables, each validated as a config section is
// (unknown keys refused, every problem with its file:line:column).
#include <fmt/format.h>
#include <re2/re2.h>

#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "checks/registry.hpp"
#include "daemon/config/config.hpp"
#include "daemon/config/section.hpp"
#include "daemon/config/toml_bounds.hpp"
#include "daemon/log/redact.hpp"

namespace complyd {

namespace {

// A TOML date is midnight UTC of that day, as `findings mute --until` reads
// one; an offset date-time or an RFC 3339 string is taken as it is.
std::optional<Time> rule_expiry(const toml::node& n) {
  if (const auto* d = n.as_date()) {
    return parse_time(fmt::format("{:04}-{:02}-{:02}", d->get().year, d->get().month, d->get().day));
  }
  if (const auto* dt = n.as_date_time()) {
    const auto& v = dt->get();
    if (!v.offset) return std::nullopt;  // a local time is no point in time
    std::ostringstream s;
    s << v;
    return parse_time(s.str());
  }
  if (const auto* s = n.as_string()) return parse_time(s->get());
  return std::nullopt;
}

void load_rule(cfg::Section& s, std::set<std::string>& ids, Mutelist& out) {
  cfg::Diagnostics& d = s.diagnostics();
  MuteRule r;
  bool ok = true;
  const auto required = [&](const char* key) -> std::optional<std::string> {
    auto v = s.string(key);
    if (!v && !s.raw().contains(key)) d.add(s.where(), fmt::format("{}.{} is required", s.name(), key));
    if (v && v->empty()) {
      d.add(s.raw().get(key)->source(), fmt::format("{}.{} must not be empty", s.name(), key));
      v.reset();
    }
    if (!v) ok = false;
    return v;
  };
  if (auto v = required("id")) {
    static const RE2 id_re("[A-Za-z0-9][A-Za-z0-9._-]*");
    if (!RE2::FullMatch(*v, id_re)) {
      d.add(s.raw().get("id")->source(),
            fmt::format("{}.id '{}': use letters, digits, '.', '_' and '-'", s.name(), *v));
      ok = false;
    } else if (!ids.insert(*v).second) {
      d.add(s.raw().get("id")->source(), fmt::format("{}.id '{}' is used by an earlier rule", s.name(), *v));
      ok = false;
    }
    r.id = *v;
  }
  if (auto v = required("check")) {
    // A mistyped check id would mute nothing, silently.
    if (*v != "*" && find_check(*v) == nullptr) {
      d.add(s.raw().get("check")->source(),
            fmt::format("{}.check: unknown check '{}' (see 'complyd checks list'; \"*\" for every check)", s.name(),
                        *v));
      ok = false;
    }
    r.check = *v;
  }
  for (auto [key, into] : {std::pair{"customer", &r.customer}, std::pair{"subject", &r.subject}}) {
    if (auto v = s.string(key)) {
      if (v->empty()) {
        d.add(s.raw().get(key)->source(), fmt::format("{}.{} must not be empty (\"*\" matches anything)", s.name(), key));
        ok = false;
      }
      *into = *v;
    }
  }
  if (auto v = required("reason")) r.reason = redact(*v);
  if (auto v = required("owner")) {
    static const RE2 mail_re(R"([^@\s<>,]+@[^@\s<>,]+)");
    if (!RE2::FullMatch(*v, mail_re)) {
      d.add(s.raw().get("owner")->source(),
            fmt::format("{}.owner '{}' is not an e-mail address (the owner is told when the rule expires)", s.name(),
                        *v));
      ok = false;
    }
    r.owner = *v;
  }
  if (const toml::node* n = s.node("expires")) {
    if (auto t = rule_expiry(*n)) {
      r.expires = *t;
    } else {
      d.add(n->source(), fmt::format("{}.expires: expected a date (2027-03-31) or an RFC 3339 time with an offset",
                                     s.name()));
      ok = false;
    }
  } else {
    d.add(s.where(), fmt::format("{}.expires is required (a rule without an end is a permanent blind spot)",
                                 s.name()));
    ok = false;
  }
  s.finish();
  if (ok) out.push_back(std::move(r));
}

}  // namespace

Mutelist parse_mutelist(std::string_view text, const std::filesystem::path& file,
                        std::vector<ConfigDiagnostic>& problems) {
  Mutelist out;
  cfg::Diagnostics d(file.string());
  if (auto p = toml_text_problem(text)) {
    problems.push_back({file.string(), p->line, p->column, std::move(p->message)});
    return out;
  }
  try {
    const toml::table root = toml::parse(text, file.string());
    cfg::Section top(root, "", d);
    std::set<std::string> ids;
    for (auto& rule : top.tables("rule")) load_rule(rule, ids, out);
    top.finish();
  } catch (const toml::parse_error& e) {
    d.add(ConfigDiagnostic{file.string(), e.source().begin.line, e.source().begin.column,
                           redact(std::string(e.description()))});
  }
  for (auto& p : d.take()) problems.push_back(std::move(p));
  return out;
}

}  // namespace complyd
