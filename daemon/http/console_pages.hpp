// SPDX-License-Identifier: Apache-2.0
// The console's pages: each reads what it shows from the state database
// (a read-only connection) and renders a compiled-in Mustache template
// (daemon/http/console/). No writes, no secrets: findings, events and
// report states are stored redacted, credentials as metadata.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/http/console.hpp"
#include "daemon/util/sqlite.hpp"
#include "model/time.hpp"

namespace complyd::http::console {

using Params = std::map<std::string, std::string>;

// Who is looking: what the layout shows and whether action forms appear.
struct Viewer {
  std::string name, role, csrf;
  bool can_act = false;
};

// Percent-decoded `a=b&c=d` (query strings and form bodies); the first of a
// repeated name wins.
Params parse_form(std::string_view text);
std::string url_encode(std::string_view s);

// A whole HTML page: the layout around `body` (nav, the user, logout).
std::string layout(const std::string& title, const std::string& body, const Viewer* viewer,
                   std::string_view active = {});
std::string login_page(const std::string& csrf, const std::string& error, const std::string& name);
std::string message_page(const std::string& title, const std::string& message, const Viewer* viewer);

std::string overview_page(sql::Db& db, const Viewer& v, Time now);
struct FindingsQuery {
  std::string check, severity, customer, status = "open", muted = "any", text, sort = "severity", dir = "desc";
  std::int64_t page = 1;
  static constexpr std::int64_t kPerPage = 50;
  static FindingsQuery from(const Params& p);
  std::string query_string(std::int64_t page_no, const std::string& sort_by, const std::string& direction) const;
};
std::string findings_page(sql::Db& db, const FindingsQuery& q, const Viewer& v);
// nullopt: no such finding. `notice`/`error`: the outcome of an action.
std::optional<std::string> finding_page(sql::Db& db, const std::string& id, const Viewer& v, const std::string& notice,
                                        const std::string& error, Time now);
std::optional<std::string> customer_page(sql::Db& db, const std::string& id, const Viewer& v, Time now);
std::string mutes_page(sql::Db& db, const Viewer& v, const std::vector<MutelistRule>* rules, Time now);

// The compiled-in CSS and JavaScript: nullopt for an unknown path.
struct Asset {
  std::string_view body;
  const char* type;
};
std::optional<Asset> asset(std::string_view path);

}  // namespace complyd::http::console
