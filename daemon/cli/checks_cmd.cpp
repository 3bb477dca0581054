// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "checks/registry.hpp"
#include "daemon/cli/cli.hpp"

namespace complyd::cli {

namespace {

nlohmann::json param_value_json(const ParamValue& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Duration>) {
          return format_duration(x);
        } else if constexpr (std::is_same_v<T, DurationMap>) {
          nlohmann::json j = nlohmann::json::object();
          for (const auto& [k, d] : x) j[k] = format_duration(d);
          return j;
        } else {
          return x;
        }
      },
      v);
}

nlohmann::json catalogue() {
  nlohmann::json a = nlohmann::json::array();
  for (const CheckDef* def : all_checks()) {
    const auto& i = def->info;
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : i.params) {
      params.push_back({{"name", p.name},
                        {"type", to_string(p.type)},
                        {"default", param_value_json(p.default_value)},
                        {"description", p.description}});
    }
    nlohmann::json fw = nlohmann::json::array();
    for (const auto& f : i.frameworks) fw.push_back({{"framework", f.framework}, {"reference", f.reference}});
    nlohmann::json needs = nlohmann::json::array();
    for (auto k : i.needs) needs.push_back(to_string(k));
    a.push_back({{"id", i.id},
                 {"title", i.title},
                 {"default_severity", to_string(i.default_severity)},
                 {"checklist_items", i.checklist_items},
                 {"rationale", i.rationale},
                 {"remediation", i.remediation},
                 {"parameters", params},
                 {"frameworks", fw},
                 {"needs", needs},
                 {"kind", to_string(i.kind)},
                 {"state_subjects", i.state_subjects},
                 {"incident_prefixes", i.incident_prefixes}});
  }
  return a;
}

}  // namespace

void add_checks_commands(CLI::App& app, State& st) {
  auto format = std::make_shared<std::string>("text");
  auto* c = app.add_subcommand("checks", "The check catalogue");
  c->require_subcommand(1);
  auto* list = c->add_subcommand("list", "List every check with its metadata");
  list->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  list->callback([format, &st] {
    if (*format == "json") {
      std::cout << catalogue().dump(2) << '\n';
    } else {
      for (const CheckDef* def : all_checks()) {
        std::cout << fmt::format("{:<26} {:<9} {:<9} {}\n", def->info.id, to_string(def->info.default_severity),
                                 to_string(def->info.kind), def->info.title);
      }
    }
    st.exit_code = kOk;
  });
}

}  // namespace complyd::cli
