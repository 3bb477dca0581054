// SPDX-License-Identifier: Apache-2.0
// What the HTTP channels ([[notify.alertmanager]], [[notify.webhook]]) send
// for a cycle, as a pure function of its findings, transitions and the
// alert ledger; and how a webhook request is signed. No I/O, no clock: the
// outbox stores these bodies in the cycle's transaction and the notifier
// signs and posts them (notifier.cpp, http_post.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/config/config.hpp"
#include "daemon/notify/planner.hpp"
#include "model/finding.hpp"

namespace complyd::notify {

inline constexpr const char* kAlertmanagerKind = "alertmanager";
inline constexpr const char* kWebhookKind = "webhook";
bool is_http_kind(std::string_view kind);

// One request, as the outbox stores it (never a secret: signed at delivery).
struct ChannelMessage {
  std::string key;      // idempotency key
  std::string kind;     // alertmanager | webhook
  std::string channel;  // the channel's name (the outbox's recipients)
  std::string summary;  // the outbox's subject
  std::string body;     // the request body (JSON)
};

struct ChannelPlan {
  std::vector<ChannelMessage> messages;
  std::vector<AlertLedgerEntry> ledger_upserts;
};

// The alert ledger's recipient for an alert sent to an Alertmanager channel
// with a severity label: the ledger remembers the labels sent, so a change
// of severity ends the alert that carried the old one.
std::string alertmanager_ledger_recipient(const std::string& channel, Severity s);

// The cycle's alerts for one Alertmanager: every open finding at or above
// min_severity (endsAt = now + ends_after, re-sent each cycle so it never
// expires while open) and every alert the ledger holds active that is no
// longer in that set (resolved, muted, below the threshold: endsAt = now).
// `findings`: every finding the ledger or the set may name, by id.
ChannelPlan plan_alertmanager(const AlertmanagerConfig& c, std::int64_t cycle_id, Time now,
                              const std::unordered_map<std::string, const StoredFinding*>& findings,
                              const std::vector<AlertLedgerEntry>& ledger);

// One Alertmanager API v2 postableAlert.
nlohmann::json alertmanager_alert(const StoredFinding& f, Severity severity, const std::string& console_url, Time starts,
                                  Time ends);

// The cycle's transitions for one webhook (opened, reopened, mute_expired,
// resolved, escalated), at or above min_severity, max_findings per request.
ChannelPlan plan_webhook(const WebhookConfig& c, std::int64_t cycle_id, Time now,
                         const std::vector<Transition>& transitions,
                         const std::unordered_map<std::string, const StoredFinding*>& findings);

// A Slack incoming-webhook message (blocks) of a webhook JSON body.
nlohmann::json slack_message(const nlohmann::json& body);

// "sha256=" + hex HMAC-SHA256(secret, "<timestamp>.<body>"): the value of
// X-Complyd-Signature (docs/notifications.md, verifying a request).
std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

inline constexpr const char* kSignatureHeader = "X-Complyd-Signature";
inline constexpr const char* kTimestampHeader = "X-Complyd-Timestamp";
inline constexpr const char* kDeliveryHeader = "X-Complyd-Delivery";

}  // namespace complyd::notify
