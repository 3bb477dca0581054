// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/channels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "daemon/log/redact.hpp"
#include "daemon/util/crypto.hpp"

namespace complyd::notify {

namespace {

using nlohmann::json;

std::string finding_link(const std::string& console_url, const std::string& id) {
  return console_url.empty() ? std::string() : console_url + id;
}

bool webhook_event(const std::string& e) {
  return e == "opened" || e == "reopened" || e == "mute_expired" || e == "resolved" || e == "escalated";
}

// Slack's mrkdwn treats &, < and > as control characters.
std::string slack_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::string clip(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  s.resize(n - 3);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole UTF-8 only
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80) != 0) s.pop_back();
  return s + "...";
}

}  // namespace

bool is_http_kind(std::string_view kind) { return kind == kAlertmanagerKind || kind == kWebhookKind; }

std::string alertmanager_ledger_recipient(const std::string& channel, Severity s) {
  return fmt::format("alertmanager:{}:{}", channel, to_string(s));
}

json alertmanager_alert(const StoredFinding& f, Severity severity, const std::string& console_url, Time starts,
                        Time ends) {
  // Labels identify the alert (Alertmanager fingerprints them): only stable
  // identifiers, no free text. Defence in depth: every text is redacted.
  json labels = {{"alertname", f.check_id},
                 {"severity", to_string(severity)},
                 {"check", f.check_id},
                 {"finding_id", f.id}};
  if (!f.customer_id.empty()) labels["customer"] = redact(f.customer_id);
  json annotations = {{"summary", redact(f.title)},
                      {"description", redact(f.detail)},
                      {"remediation", redact(f.remediation)},
                      {"subject", redact(f.subject)}};
  json a = {{"labels", labels}, {"annotations", annotations}, {"startsAt", format_time(starts)},
            {"endsAt", format_time(ends)}};
  if (const auto link = finding_link(console_url, f.id); !link.empty()) {
    a["annotations"]["link"] = link;
    a["generatorURL"] = link;
  }
  return a;
}

ChannelPlan plan_alertmanager(const AlertmanagerConfig& c, std::int64_t cycle_id, Time now,
                              const std::unordered_map<std::string, const StoredFinding*>& findings,
                              const std::vector<AlertLedgerEntry>& ledger) {
  ChannelPlan plan;
  const std::string prefix = fmt::format("alertmanager:{}:", c.name);
  // Sorted, so a cycle's requests are the same whatever the map's order.
  std::map<std::string, const StoredFinding*> firing;
  for (const auto& [id, f] : findings) {
    if (f->status == FindingStatus::open && f->severity >= c.min_severity) firing.emplace(id, f);
  }
  std::vector<json> alerts;
  std::size_t ended = 0;
  std::map<std::string, const AlertLedgerEntry*> active;
  for (const auto& e : ledger) {
    if (e.active && e.recipient.starts_with(prefix)) active.emplace(e.finding_id + "\n" + e.recipient, &e);
  }
  // Ended first: a severity change ends the old labels, then fires the new.
  for (const auto& [k, e] : active) {
    const auto sev = severity_from(e->recipient.substr(prefix.size()));
    const auto it = findings.find(e->finding_id);
    const auto f = firing.find(e->finding_id);
    const bool still = f != firing.end() && sev && f->second->severity == *sev;
    if (still) continue;
    if (it != findings.end() && sev) {
      alerts.push_back(alertmanager_alert(*it->second, *sev, c.console_url, it->second->first_seen, now));
      ++ended;
    }
    plan.ledger_upserts.push_back({e->finding_id, e->recipient, e->first_alerted_at, now, false});
  }
  for (const auto& [id, f] : firing) {
    alerts.push_back(alertmanager_alert(*f, f->severity, c.console_url, f->first_seen, now + c.ends_after));
    const std::string rcpt = alertmanager_ledger_recipient(c.name, f->severity);
    const auto it = active.find(id + "\n" + rcpt);
    plan.ledger_upserts.push_back({id, rcpt, it != active.end() ? it->second->first_alerted_at : now, now, true});
  }
  const std::size_t per = static_cast<std::size_t>(c.max_alerts);
  for (std::size_t i = 0, part = 1; i < alerts.size(); i += per, ++part) {
    json batch = json::array();
    for (std::size_t j = i; j < std::min(alerts.size(), i + per); ++j) batch.push_back(alerts[j]);
    ChannelMessage m;
    m.key = fmt::format("alertmanager:{}:{}:{}", c.name, cycle_id, part);
    m.kind = kAlertmanagerKind;
    m.channel = c.name;
    m.summary = fmt::format("cycle {}: {} firing, {} ended (part {})", cycle_id, firing.size(), ended, part);
    m.body = batch.dump();
    plan.messages.push_back(std::move(m));
  }
  return plan;
}

ChannelPlan plan_webhook(const WebhookConfig& c, std::int64_t cycle_id, Time now,
                         const std::vector<Transition>& transitions,
                         const std::unordered_map<std::string, const StoredFinding*>& findings) {
  ChannelPlan plan;
  struct Event {
    const Transition* t;
    const StoredFinding* f;
  };
  std::vector<Event> events;
  for (const auto& t : transitions) {
    if (!webhook_event(t.event)) continue;
    const auto it = findings.find(t.finding_id);
    if (it == findings.end()) continue;
    const Severity sev = std::max(t.severity, it->second->severity);
    if (sev < c.min_severity) continue;
    events.push_back({&t, it->second});
  }
  // Most severe first, then by finding: a stable order across runs.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.f->severity != b.f->severity) return a.f->severity > b.f->severity;
    return a.f->id < b.f->id;
  });
  const std::size_t per = static_cast<std::size_t>(c.max_findings);
  const std::size_t parts = (events.size() + per - 1) / per;
  for (std::size_t i = 0, part = 1; i < events.size(); i += per, ++part) {
    const std::string key = fmt::format("webhook:{}:{}:{}", c.name, cycle_id, part);
    json list = json::array();
    std::map<std::string, int> counts;
    for (std::size_t j = i; j < std::min(events.size(), i + per); ++j) {
      const auto& [t, f] = events[j];
      const std::string event = t->event == "mute_expired" ? "reopened" : t->event;
      ++counts[event];
      json e = {{"event", event},
                {"finding_id", f->id},
                {"check", f->check_id},
                {"severity", to_string(f->severity)},
                {"status", to_string(f->status)},
                {"customer", redact(f->customer_id)},
                {"subject", redact(f->subject)},
                {"title", redact(f->title)},
                {"detail", redact(f->detail)},
                {"remediation", redact(f->remediation)},
                {"first_seen", format_time(f->first_seen)}};
      if (!t->reason.empty()) e["reason"] = redact(t->reason);
      if (const auto link = finding_link(c.console_url, f->id); !link.empty()) e["link"] = link;
      list.push_back(std::move(e));
    }
    json body = {{"source", "complyd"}, {"version", 1},       {"delivery", key},
                 {"cycle_id", cycle_id}, {"at", format_time(now)}, {"part", part},
                 {"parts", parts},       {"counts", counts},   {"events", std::move(list)}};
    ChannelMessage m;
    m.key = key;
    m.kind = kWebhookKind;
    m.channel = c.name;
    std::string what;
    for (const auto& [e, n] : counts) what += fmt::format("{}{} {}", what.empty() ? "" : ", ", n, e);
    m.summary = fmt::format("cycle {}: {} (part {} of {})", cycle_id, what, part, parts);
    m.body = c.format == "slack" ? slack_message(body).dump() : body.dump();
    plan.messages.push_back(std::move(m));
  }
  return plan;
}

json slack_message(const json& body) {
  static const std::map<std::string, std::string> icon{{"critical", ":rotating_light:"}, {"high", ":red_circle:"},
                                                       {"medium", ":large_orange_circle:"},
                                                       {"low", ":large_yellow_circle:"}, {"info", ":white_circle:"}};
  std::string headline;
  for (const auto& [e, n] : body["counts"].items()) {
    headline += fmt::format("{}{} {}", headline.empty() ? "" : ", ", n.get<int>(), e);
  }
  headline = "complyd: " + headline;
  json blocks = json::array();
  blocks.push_back({{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", clip(headline, 150)}}}});
  for (const auto& e : body["events"]) {
    const std::string sev = e["severity"].get<std::string>();
    const std::string title = slack_escape(e["title"].get<std::string>());
    const std::string name = e.contains("link") ? fmt::format("<{}|{}>", e["link"].get<std::string>(), title) : title;
    std::string text = fmt::format("{} *{}* · {} · {}\n", icon.count(sev) ? icon.at(sev) : "", sev,
                                   e["event"].get<std::string>(), name);
    text += fmt::format("`{}`", e["check"].get<std::string>());
    if (!e["customer"].get<std::string>().empty()) text += fmt::format(" · customer `{}`", slack_escape(e["customer"].get<std::string>()));
    text += fmt::format(" · {}\n", slack_escape(e["subject"].get<std::string>()));
    text += slack_escape(e["detail"].get<std::string>());
    if (e["event"] != "resolved") text += "\n_Fix:_ " + slack_escape(e["remediation"].get<std::string>());
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", clip(text, 3000)}}}});
  }
  blocks.push_back({{"type", "context"},
                    {"elements", json::array({{{"type", "mrkdwn"},
                                               {"text", fmt::format("cycle {} · {} · part {} of {} · {}",
                                                                    body["cycle_id"].get<std::int64_t>(),
                                                                    body["at"].get<std::string>(),
                                                                    body["part"].get<std::size_t>(),
                                                                    body["parts"].get<std::size_t>(),
                                                                    body["delivery"].get<std::string>())}}})}});
  // `text` is the notification's fallback (phones, screen readers).
  return {{"text", clip(headline, 3000)}, {"blocks", std::move(blocks)}};
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text += '.';
  signed_text += body;
  return "sha256=" + hmac_sha256_hex(secret, signed_text);
}

}  // namespace complyd::notify
