// SPDX-License-Identifier: Apache-2.0
// The platform source: each customer's webhook subscriptions, read from the
// platform's REST API with that customer's own token, as WebhookSubscription
// facts (transport-https, offboarding-completeness), plus the configured API
// base URL as an ApiEndpoint fact (transport-https).
//
// Presets for Raise and Virtuous, or a generic mapping (JSON pointers, a
// status table, cursor/next-link or page-number pagination) for any other
// platform. Every page of every customer must be read: one failure (including
// one customer's token refused) fails the whole source, naming the customer.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "daemon/sources/registry.hpp"

namespace complyd {

struct PlatformSettings : SourceSettings {
  std::string preset;    // raise, virtuous, generic
  std::string platform;  // WebhookSubscription::platform
  std::string base_url;  // scheme://host[:port][/prefix], no trailing '/'
  std::filesystem::path tokens_dir;
  std::string file_prefix;             // token file = tokens_dir / (file_prefix + customer id)
  std::vector<std::string> customers;  // empty: every token file in tokens_dir

  // The mapping (fixed by the presets; configurable with preset = "generic").
  std::string path;         // may contain {customer_id}
  std::string auth_header;  // empty: "Authorization: Bearer"
  std::string items_pointer;  // "" = the root; presets also accept {"items"|"data"|"list"|"results": [...]}
  bool items_fallback = false;
  std::string id_pointer, url_pointer, status_pointer, created_pointer;
  std::map<std::string, SubscriptionStatus> status_map;  // keys lower case
  std::string next_pointer, cursor_param, page_param, page_size_param;
  std::int64_t page_size = 100;
  std::int64_t first_page = 1;
  std::int64_t max_pages = 1000;  // per customer: a guard against a pagination loop
};

// The preset's mapping (tests, docs).
PlatformSettings platform_preset(std::string_view preset);

}  // namespace complyd
