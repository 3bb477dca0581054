// SPDX-License-Identifier: Apache-2.0
// complyd sources list|test: what each configured source is, and what it
// would collect right now (counts, never values).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "daemon/cli/cli.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/sources/source.hpp"

namespace complyd::cli {

namespace {

struct SourcesOpts {
  std::string source, format = "text", now;
};

// Per-kind counts of what one source delivered.
nlohmann::json counts(const Facts& f) {
  std::int64_t minutes = 0;
  for (const auto& v : f.verifications) minutes += static_cast<std::int64_t>(v.minutes.size());
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* k, std::size_t n) {
    if (n > 0) j[k] = n;
  };
  put("customers", f.customers.size());
  put("credentials", f.credentials.size());
  put("webhooks", f.webhooks.size());
  put("verification_series", f.verifications.size());
  put("verification_minutes", static_cast<std::size_t>(minutes));
  put("data_sets", f.data_sets.size());
  put("audit_events", f.audit_events.size());
  put("attestations", f.attestations.size());
  put("api_endpoints", f.api_endpoints.size());
  put("leak_hits", f.leak_hits.size());
  put("secret_stores", f.secret_stores.size());
  put("customer_activity", f.customer_activity.size());
  return j;
}

int test_sources(const State& st, const SourcesOpts& o) {
  if (!valid_time_option(o.now)) return kUsage;
  auto config = load_or_report(st);
  if (!config) return kUsage;
  auto sources = make_sources(*config);
  if (!o.source.empty()) {
    std::erase_if(sources, [&](const auto& s) { return s->name() != o.source; });
    if (sources.empty()) {
      std::cerr << fmt::format("complyd: no enabled source named '{}' (see 'complyd sources list')\n", o.source);
      return kUsage;
    }
  }
  const Time now = clock_from(o.now)();
  nlohmann::json out = nlohmann::json::array();
  bool all_ok = true;
  for (auto& s : sources) {
    std::vector<std::unique_ptr<Source>> one;
    one.push_back(std::move(s));
    const auto t0 = std::chrono::steady_clock::now();
    const Facts f = collect_facts(one, now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    const SourceStatus& status = f.sources.at(0);
    all_ok = all_ok && status.ok;
    nlohmann::json provides = nlohmann::json::array();
    for (auto k : status.provides) provides.push_back(to_string(k));
    nlohmann::json j{{"name", status.name},       {"type", status.type},       {"ok", status.ok},
                     {"provides", provides},      {"milliseconds", ms.count()}, {"collected", counts(f)},
                     {"rejected_rows", status.problems.size()}};
    if (!status.ok) j["error"] = status.error;
    if (!status.problems.empty()) {
      nlohmann::json p = nlohmann::json::array();
      // stdout does not pass the log sink's redaction.
      for (std::size_t i = 0; i < status.problems.size() && i < 10; ++i) p.push_back(redact(status.problems[i]));
      j["first_problems"] = p;
    }
    out.push_back(std::move(j));
  }
  if (o.format == "json") {
    std::cout << out.dump(2) << '\n';
  } else {
    for (const auto& j : out) {
      std::cout << fmt::format("{:<20} {:<20} {}  ({} ms)\n", j["name"].get<std::string>(),
                               j["type"].get<std::string>(), j["ok"].get<bool>() ? "ok" : "FAILED",
                               j["milliseconds"].get<std::int64_t>());
      if (j.contains("error")) std::cout << "  error: " << j["error"].get<std::string>() << '\n';
      for (const auto& [k, v] : j["collected"].items()) std::cout << fmt::format("  {:<22} {}\n", k, v.get<std::int64_t>());
      if (j["rejected_rows"].get<std::size_t>() > 0) {
        std::cout << fmt::format("  rejected rows          {}\n", j["rejected_rows"].get<std::size_t>());
        for (const auto& p : j["first_problems"]) std::cout << "    " << p.get<std::string>() << '\n';
      }
    }
  }
  return all_ok ? kOk : kRuntime;
}

int list_sources(const State& st) {
  auto config = load_or_report(st);
  if (!config) return kUsage;
  std::cout << fmt::format("{:<20} {:<20} {}\n", "inventory", "inventory", config->inventory.path.string());
  if (config->files) std::cout << fmt::format("{:<20} {:<20} [files]\n", "files", "files");
  for (const auto& s : config->sources) {
    std::cout << fmt::format("{:<20} {:<20} {}{}\n", s.name, s.type, s.origin, s.common.enabled ? "" : " (disabled)");
  }
  return kOk;
}

}  // namespace

void add_sources_commands(CLI::App& app, State& st) {
  auto* c = app.add_subcommand("sources", "The configured fact sources");
  c->require_subcommand(1);

  auto* list = c->add_subcommand("list", "List the configured sources");
  add_config_option(list, st);
  list->callback([&st] { st.exit_code = list_sources(st); });

  auto o = std::make_shared<SourcesOpts>();
  auto* test = c->add_subcommand("test", "Probe each source and print what it would collect (counts, not values)");
  add_config_option(test, st);
  test->add_option("--source", o->source, "Only this source (by name)");
  test->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  test->add_option("--now", o->now, "Evaluate as of this time (RFC 3339)");
  test->callback([o, &st] { st.exit_code = test_sources(st, *o); });

  auto* types = c->add_subcommand("types", "List the source types [[sources]] can name");
  types->callback([&st] {
    for (const SourceType* t : source_types()) std::cout << fmt::format("{:<20} {}\n", t->type, t->summary);
    st.exit_code = kOk;
  });
}

}  // namespace complyd::cli
