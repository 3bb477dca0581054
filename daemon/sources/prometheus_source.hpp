// SPDX-License-Identifier: Apache-2.0
// The prometheus source: per-customer per-minute webhook signature
// verification counters (VerificationSeries) for signature-failures, from the
// Prometheus HTTP API (GET /api/v1/query_range, step 60s) over the lookback
// the check needs. Three PromQL queries (ok, fail, unsigned), each returning
// one series per customer of per-minute increases; long ranges are split into
// chunks (Prometheus refuses more than 11,000 points per series) and merged.
#pragma once

#include <filesystem>
#include <string>

#include "daemon/sources/registry.hpp"

namespace complyd {

struct PrometheusSettings : SourceSettings {
  std::string url;  // scheme://host[:port][/prefix], no trailing '/'
  std::string ok_query = R"(sum by (customer_id) (increase(webhook_signature_verifications_total{result="ok"}[1m])))";
  std::string fail_query =
      R"(sum by (customer_id) (increase(webhook_signature_verifications_total{result="fail"}[1m])))";
  std::string unsigned_query =
      R"(sum by (customer_id) (increase(webhook_signature_verifications_total{result="unsigned"}[1m])))";
  std::string customer_label = "customer_id";
  // signature-failures reads its lookback (1h), the rate window before it
  // (10m) and the 24h baseline before that: 26h covers the defaults.
  Duration lookback{26 * 3600};
  Duration chunk{6 * 3600};  // one query_range request: 361 points per series
  std::filesystem::path bearer_token_file;
};

}  // namespace complyd
