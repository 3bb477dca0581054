// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "checks/registry.hpp"
#include "daemon/cli/cli.hpp"
#include "daemon/report/findings_doc.hpp"
#include "daemon/store/operator_action.hpp"
#include "daemon/util/identity.hpp"

namespace complyd::cli {
namespace {

// A mistyped check id would list nothing, which reads as "no findings".
std::string known_check(const std::string& id) {
  if (find_check(id) != nullptr) return {};
  std::string ids;
  for (const CheckDef* def : all_checks()) ids += (ids.empty() ? "" : ", ") + def->info.id;
  return fmt::format("unknown check id '{}'; the check ids are: {}", id, ids);
}

// `findings show`'s default: what a person reads first (title, state,
// where), then why, the evidence, what to do, and the whole history.
std::string finding_text(const StoredFinding& f, std::string_view kind, const std::vector<FindingEventRecord>& history) {
  std::string out = fmt::format("{}\n{}  {}  {} ({})\n\n", f.title, f.id, to_string(f.severity), to_string(f.status), kind);
  auto row = [&](std::string_view k, std::string_view v) { out += fmt::format("  {:<11} {}\n", k, v); };
  row("check", f.check_id);
  row("customer", f.customer_id.empty() ? "(integration-wide)" : f.customer_id);
  row("subject", f.subject);
  row("first seen", format_time(f.first_seen));
  row("last seen", format_time(f.last_seen));
  if (f.resolved_at) row("resolved", format_time(*f.resolved_at));
  if (f.muted_until) {
    row("muted", fmt::format("until {} by {}: {}", format_time(*f.muted_until), f.muted_by.value_or("?"),
                             f.mute_reason.value_or("")));
  }
  out += "\n" + f.detail + "\n";
  const auto evidence = finding_to_json(f)["evidence"];
  if (!evidence.empty()) {
    out += "\nEvidence\n";
    for (const auto& [k, v] : evidence.items()) row(k, v.is_string() ? v.get<std::string>() : v.dump());
  }
  out += "\nRemediation\n  " + f.remediation + "\n\nHistory\n";
  for (const auto& e : history) {
    std::string line = fmt::format("  {}  {:<13}", format_time(e.at), e.event);
    if (!e.actor.empty()) line += " by " + e.actor;
    if (e.cycle_id) line += fmt::format(" (cycle {})", *e.cycle_id);
    if (!e.reason.empty()) line += ": " + e.reason;
    out += line + "\n";
  }
  return out;
}

}  // namespace

void add_findings_commands(CLI::App& app, State& st) {
  struct Opts {
    std::string status = "open", customer, check, format = "text", id, reason, until;
    bool muted = false;
  };
  auto o = std::make_shared<Opts>();
  auto* c = app.add_subcommand("findings", "List, inspect, mute and acknowledge findings");
  c->require_subcommand(1);

  auto* list = c->add_subcommand("list", "List findings");
  add_config_option(list, st);
  add_state_option(list, st);
  auto* status = list->add_option("--status", o->status, "open, resolved, muted or all")
                     ->check(CLI::IsMember({"open", "resolved", "muted", "all"}));
  list->add_option("--customer", o->customer, "Only this customer id");
  list->add_option("--check", o->check, "Only this check id (complyd checks list)")->check(known_check);
  list->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  list->add_flag("--muted", o->muted,
                 "Only muted findings, each with the person or the mutelist rule (and its owner) behind the mute")
      ->excludes(status);
  list->callback([o, &st] {
    st.exit_code = with_store(st, [&](const Config& config, StateStore& store) {
      FindingFilter f;
      if (o->muted) o->status = "muted";
      if (o->status != "all") f.status = finding_status_from(o->status);
      f.customer_id = o->customer;
      f.check_id = o->check;
      auto rows = store.list(f);
      if (o->format == "json") {
        write_findings_document(std::cout, rows, store.last_cycle(), system_clock()());
      } else if (o->muted) {
        std::cout << muted_findings_text(rows, config.mutelist);
      } else {
        std::cout << findings_text(rows);
      }
      return kOk;
    });
  });

  auto* show = c->add_subcommand("show", "Show one finding with its full history");
  add_config_option(show, st);
  add_state_option(show, st);
  show->add_option("ID", o->id, "Finding id")->required();
  show->add_option("--format", o->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  show->callback([o, &st] {
    st.exit_code = with_store(st, [&](const Config&, StateStore& store) {
      auto f = store.get(o->id);
      if (!f) throw StateError("no finding with id " + o->id);
      const auto history = store.history(o->id);
      if (o->format == "text") {
        std::cout << finding_text(*f, to_string(finding_kind(f->check_id, f->subject)), history);
        return kOk;
      }
      auto j = finding_to_json(*f);
      // What is missing is null here, never "" (integration-wide: no customer).
      auto or_null = [](const std::string& v) { return v.empty() ? nlohmann::json(nullptr) : nlohmann::json(v); };
      j["customer_id"] = or_null(f->customer_id);
      j["kind"] = to_string(finding_kind(f->check_id, f->subject));
      nlohmann::json h = nlohmann::json::array();
      for (const auto& e : history) {
        h.push_back({{"at", format_time(e.at)},
                     {"event", e.event},
                     {"from", or_null(e.from_status)},
                     {"to", or_null(e.to_status)},
                     {"severity", or_null(e.severity)},
                     {"actor", or_null(e.actor)},
                     {"reason", or_null(e.reason)},
                     {"cycle_id", e.cycle_id ? nlohmann::json(*e.cycle_id) : nlohmann::json(nullptr)}});
      }
      j["history"] = h;
      std::cout << j.dump(2) << '\n';
      return kOk;
    });
  });

  auto* mute = c->add_subcommand("mute", "Mute an open finding until a date, with a reason");
  add_config_option(mute, st);
  add_state_option(mute, st);
  mute->add_option("ID", o->id, "Finding id")->required();
  mute->add_option("--reason", o->reason, "Why it is accepted for now (recorded in the history)")->required();
  mute->add_option("--until", o->until, "Date or time the mute ends (RFC 3339)")->required();
  mute->callback([o, &st] {
    if (!valid_time_option(o->until)) {
      st.exit_code = kUsage;
      return;
    }
    st.exit_code = with_store(st, [&](const Config&, StateStore& store) {
      auto f = apply_operator_action(store, {FindingAction::mute, o->id, o->reason, o->until}, os_actor(),
                                     system_clock()());
      std::cout << fmt::format("muted {} until {} ({})\n", f.id, format_time(*f.muted_until), o->reason);
      return kOk;
    });
  });

  auto* ack = c->add_subcommand("ack", "Acknowledge an incident (it happened and was dealt with): resolves it");
  add_config_option(ack, st);
  add_state_option(ack, st);
  ack->add_option("ID", o->id, "Finding id")->required();
  ack->add_option("--reason", o->reason, "What was done about it (recorded in the history)")->required();
  ack->callback([o, &st] {
    st.exit_code = with_store(st, [&](const Config&, StateStore& store) {
      auto f = apply_operator_action(store, {FindingAction::ack, o->id, o->reason, {}}, os_actor(), system_clock()());
      std::cout << fmt::format("acknowledged {} ({})\n", f.id, o->reason);
      return kOk;
    });
  });

  auto* unmute = c->add_subcommand("unmute", "End a mute now");
  add_config_option(unmute, st);
  add_state_option(unmute, st);
  unmute->add_option("ID", o->id, "Finding id")->required();
  unmute->callback([o, &st] {
    st.exit_code = with_store(st, [&](const Config&, StateStore& store) {
      auto f = apply_operator_action(store, {FindingAction::unmute, o->id, {}, {}}, os_actor(), system_clock()());
      std::cout << fmt::format("unmuted {}\n", f.id);
      return kOk;
    });
  });
}

}  // namespace complyd::cli
