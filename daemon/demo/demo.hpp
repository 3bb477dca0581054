// SPDX-License-Identifier: Apache-2.0
// `complyd demo`: a ready-to-run configuration and a realistic inventory that
// violates every implemented check several times and passes most customers.
// Also the generator behind the benchmark (large --customers counts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>
#include <string>

#include "model/facts.hpp"

namespace complyd {

struct DemoOptions {
  std::filesystem::path dir;
  std::string smtp_url;          // empty: no [smtp] section
  std::string alertmanager_url;  // empty: no [[notify.alertmanager]]
  std::string webhook_url;       // empty: no [[notify.webhook]] (else also DIR/webhook.secret)
  std::int64_t customers = 60;
  std::int64_t busy_customers = -1;  // with per-minute verification counters; -1: customers / 10 (at least 10)
  std::uint64_t seed = 42;
  Time now{};
  bool write_config = true;
  bool violations = true;  // false: a fully compliant population (tests, docs)
  // > 0: [http] serves the web console on 127.0.0.1:console_port, with a
  // demo operator and a demo viewer whose tokens are in kConsoleTokenFiles.
  int console_port = 0;
};

// The demo console users and their token files (in DIR, mode 0600).
inline constexpr std::pair<const char*, const char*> kDemoConsoleUsers[] = {{"demo-operator", "operator"},
                                                                           {"demo-viewer", "viewer"}};
std::filesystem::path demo_token_file(const std::filesystem::path& dir, std::string_view user);

struct DemoSummary {
  std::int64_t customers = 0, credentials = 0, webhooks = 0, verification_rows = 0, data_sets = 0,
               audit_events = 0, attestations = 0;
};

// Writes DIR/inventory.db (replacing it) and, unless disabled, DIR/complyd.toml.
DemoSummary write_demo(const DemoOptions& opts);

}  // namespace complyd
