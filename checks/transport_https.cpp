// SPDX-License-Identifier: Apache-2.0
// transport-https: an active webhook subscription whose notification URL, or a
// configured API base URL, is not https:// (or is empty or malformed).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "checks/check.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

enum class UrlProblem : std::uint8_t { none, empty, malformed, plain_http, other_scheme };

struct UrlCheck {
  UrlProblem problem = UrlProblem::none;
  std::string scheme;  // lower case, when one could be read
  std::string shown;   // safe to print: scheme and host only; empty if unparseable
};

bool is_space_or_control(char ch) {
  const auto u = static_cast<unsigned char>(ch);
  return u <= 0x20 || u == 0x7f;
}

// Classifies a URL and makes a printable form of it. A URL may carry
// credentials (user:pass@host, ?token=..., a token in the path): only the
// scheme and host are ever shown.
UrlCheck check_url(std::string_view url) {
  UrlCheck r;
  if (std::all_of(url.begin(), url.end(), [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); })) {
    r.problem = UrlProblem::empty;
    return r;
  }
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    r.problem = UrlProblem::malformed;
    return r;
  }
  const std::string_view scheme = url.substr(0, sep);
  const bool scheme_ok = std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                         std::all_of(scheme.begin(), scheme.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '-' || ch == '.';
                         });
  if (!scheme_ok) {
    r.problem = UrlProblem::malformed;
    return r;
  }
  r.scheme.reserve(scheme.size());
  for (char ch : scheme) r.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));

  const std::string_view rest = url.substr(sep + 3);
  const auto auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  const bool has_userinfo = authority.find('@') != std::string_view::npos;
  if (has_userinfo) authority = authority.substr(authority.rfind('@') + 1);
  // Paths and queries are elided too: webhook URLs sometimes embed a token in
  // the path. The subject already names the subscription or endpoint.
  const std::string_view tail = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  constexpr std::size_t kMaxShown = 200;
  r.shown = fmt::format("{}://{}{}{}", r.scheme, has_userinfo ? "***@" : "", authority.substr(0, kMaxShown),
                        tail.empty() || tail == "/" ? tail : "/...");
  for (auto& ch : r.shown) {
    if (is_space_or_control(ch) && ch != ' ') ch = '?';
  }

  const bool bad_chars = std::any_of(url.begin(), url.end(), is_space_or_control);
  if (authority.empty() || authority.front() == ':' || bad_chars) {
    r.problem = UrlProblem::malformed;
  } else if (r.scheme == "https") {
    r.problem = UrlProblem::none;
  } else if (r.scheme == "http") {
    r.problem = UrlProblem::plain_http;
  } else {
    r.problem = UrlProblem::other_scheme;
  }
  return r;
}

// What is wrong, as the end of a sentence about "<thing> ...".
std::string what_is_wrong(const UrlCheck& u) {
  switch (u.problem) {
    case UrlProblem::empty: return "is empty, so nobody can confirm it uses HTTPS";
    case UrlProblem::malformed:
      return u.shown.empty() ? std::string("is not a valid URL, so nobody can confirm it uses HTTPS")
                             : fmt::format("({}) is not a valid URL, so nobody can confirm it uses HTTPS", u.shown);
    case UrlProblem::plain_http:
      return fmt::format("({}) uses plain HTTP, so traffic and credentials can be read and altered in transit",
                         u.shown);
    case UrlProblem::other_scheme:
      return fmt::format("({}) uses the '{}' scheme instead of https", u.shown, u.scheme);
    case UrlProblem::none: break;
  }
  return "";
}

const char* title_suffix(UrlProblem p) {
  switch (p) {
    case UrlProblem::empty: return "missing";
    case UrlProblem::malformed: return "malformed";
    default: return "not https";
  }
}

void add_url_evidence(Finding& f, const UrlCheck& u, std::string_view url) {
  if (!u.shown.empty()) f.evidence.emplace_back("url", u.shown);
  else if (!url.empty()) f.evidence.emplace_back("url_length", std::to_string(url.size()));
  if (!u.scheme.empty()) f.evidence.emplace_back("scheme", u.scheme);
  f.evidence.emplace_back("problem", u.problem == UrlProblem::plain_http     ? "plain_http"
                                     : u.problem == UrlProblem::other_scheme ? "other_scheme"
                                     : u.problem == UrlProblem::empty        ? "empty"
                                                                             : "malformed");
}

std::vector<Finding> evaluate(const CheckContext& ctx) {
  std::vector<Finding> out;

  for (const auto& w : ctx.facts.webhooks) {
    if (w.status != SubscriptionStatus::active) continue;
    const UrlCheck u = check_url(w.notification_url);
    if (u.problem == UrlProblem::none) continue;
    Finding f;
    f.severity = ctx.severity;
    f.customer_id = w.customer_id;
    f.subject = "webhook:" + w.id;
    f.title = fmt::format("webhook notification URL {}", title_suffix(u.problem));
    f.detail = fmt::format("The notification URL of active webhook subscription {} of customer {} {}.", w.id,
                           w.customer_id, what_is_wrong(u));
    f.remediation = "Point the subscription's notificationUrl at an https:// endpoint with a valid certificate "
                    "(update the subscription on the platform), make the receiver refuse plain HTTP, and rotate "
                    "the webhook secret as part of the endpoint cutover.";
    if (!w.platform.empty()) f.evidence.emplace_back("platform", w.platform);
    add_url_evidence(f, u, w.notification_url);
    out.push_back(std::move(f));
  }

  for (const auto& e : ctx.facts.api_endpoints) {
    const UrlCheck u = check_url(e.url);
    if (u.problem == UrlProblem::none) continue;
    Finding f;
    f.severity = ctx.severity;
    f.subject = "endpoint:" + e.name;
    f.title = fmt::format("API base URL {}", title_suffix(u.problem));
    f.detail = fmt::format("The API base URL '{}'{} {}.", e.name,
                           e.origin.empty() ? std::string() : fmt::format(" configured in {}", e.origin),
                           what_is_wrong(u));
    f.remediation = fmt::format(
        "Set the base URL to the platform's https:// address{}, keep certificate validation on, and rotate any "
        "API token that was sent over the insecure URL.",
        e.origin.empty() ? std::string() : fmt::format(" in {}", e.origin));
    if (!e.origin.empty()) f.evidence.emplace_back("origin", e.origin);
    add_url_evidence(f, u, e.url);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const CheckDef& transport_https_check() {
  static const CheckDef def{
      CheckInfo{
          .id = "transport-https",
          .title = "HTTPS for webhook deliveries and API calls",
          .default_severity = Severity::high,
          .checklist_items = {"HTTPS everywhere — API calls and webhook deliveries",
                              "Always use HTTPS for API requests", "Enforce HTTPS for webhook endpoints"},
          .rationale = "Webhook deliveries carry donor data and signatures, and API calls carry the bearer token: "
                       "over plain HTTP both can be read and altered in transit. The reference pages require "
                       "https:// notification URLs even in development and HTTPS with a valid certificate for "
                       "every external API call.",
          .remediation = "Use https:// for every notification URL and API base URL, with certificate validation "
                         "on; rotate credentials that travelled over plain HTTP.",
          .params = {},
          .frameworks = {{"SOC 2", "CC6.7"}, {"SOC 2", "CC6.6"}, {"PCI DSS v4.0", "4.2.1"}, {"GDPR", "Art. 32"}},
          .needs = {FactKind::webhooks, FactKind::api_endpoints},
      },
      evaluate};
  return def;
}

}  // namespace complyd
