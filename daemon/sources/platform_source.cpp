// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/platform_source.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "daemon/sources/http_client.hpp"
#include "model/time.hpp"
#include "daemon/config/section.hpp"

namespace complyd {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kGenericKeys[] = {"path",           "auth",          "items_pointer",   "id_pointer",
                                    "url_pointer",    "status_pointer", "created_pointer", "status_map",
                                    "next_pointer",   "cursor_param",  "page_param",      "page_size_param",
                                    "page_size",      "first_page"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// scheme://host[:port] of a URL.
std::string origin_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto slash = url.find_first_of("/?#", scheme + 3);
  return std::string(url.substr(0, slash));
}

bool valid_pointer(std::string_view p) { return p.empty() || p.front() == '/'; }

// The value at a JSON pointer, or nullptr when absent (or not a pointer into
// this shape).
const json* at_pointer(const json& doc, const std::string& pointer) {
  if (pointer.empty()) return &doc;
  try {
    const json::json_pointer ptr(pointer);
    if (!doc.contains(ptr)) return nullptr;
    return &doc.at(ptr);
  } catch (const json::exception&) {
    return nullptr;
  }
}

// A scalar as the text the status table and ids are keyed by.
std::optional<std::string> scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  return std::nullopt;
}

// Rejected values are shown only when short: a long one might be a secret.
std::string show(const std::string& v) {
  if (v.size() <= 24) return fmt::format("'{}'", v);
  return fmt::format("a {}-character value", v.size());
}

std::shared_ptr<const SourceSettings> parse(cfg::Section& s, const fs::path& base) {
  auto out = std::make_shared<PlatformSettings>();
  cfg::Diagnostics& d = s.diagnostics();
  auto where = [&](std::string_view key) -> const toml::source_region& {
    const toml::node* n = s.raw().get(key);
    return n != nullptr ? n->source() : s.where();
  };
  const std::string preset = s.string("preset", {"raise", "virtuous", "generic"}).value_or("");
  if (preset.empty()) {
    if (!s.raw().contains("preset")) {
      d.add(s.where(), fmt::format("{}: 'preset' is required (raise, virtuous or generic)", s.name()));
    }
    for (const auto& [k, v] : s.raw()) {  // the rest depends on the preset
      if (!cfg::looks_like_inline_secret(k.str())) s.node(k.str());
    }
    return out;
  }
  *out = platform_preset(preset);
  if (auto v = s.string("platform")) out->platform = *v;
  if (auto v = s.string("base_url")) {
    std::string u = *v;
    while (u.size() > 1 && u.back() == '/') u.pop_back();
    if (auto why = check_source_url(u); !why.empty()) {
      d.add(where("base_url"), fmt::format("{}: {}", s.path("base_url"), why));
    }
    out->base_url = u;
  }
  if (out->base_url.empty()) {
    d.add(s.where(), fmt::format("{}: 'base_url' is required with preset = \"{}\"", s.name(), preset));
  }
  if (out->platform.empty()) out->platform = preset;

  // "%d" alone is the credentials directory itself (LoadCredential= of a
  // directory puts its files there).
  if (auto raw = s.raw().get("tokens_dir"); raw != nullptr && raw->value<std::string>() &&
                                            (*raw->value<std::string>() == "%d" || *raw->value<std::string>() == "%d/")) {
    s.node("tokens_dir");
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir != '/') {
      d.add(raw->source(), fmt::format("{}: '%d' names the systemd credentials directory, but "
                                       "$CREDENTIALS_DIRECTORY is not set",
                                       s.path("tokens_dir")));
    } else {
      out->tokens_dir = dir;
    }
  } else if (auto p = s.secret_file_value("tokens_dir", base)) {
    out->tokens_dir = *p;
  } else if (!s.raw().contains("tokens_dir")) {
    d.add(s.where(), fmt::format("{}: 'tokens_dir' is required (a directory with one token file per customer id)",
                                 s.name()));
  }
  if (auto v = s.string("file_prefix")) out->file_prefix = *v;
  if (auto v = s.string_list("customers")) {
    static const RE2 id_re("[A-Za-z0-9][A-Za-z0-9_.@-]*");
    for (const auto& c : *v) {
      if (!RE2::FullMatch(c, id_re)) {
        d.add(where("customers"), fmt::format("{}: {} is not a customer id", s.path("customers"), show(c)));
      }
    }
    out->customers = *v;
  }
  if (auto v = s.integer("max_pages", 1, 1'000'000)) out->max_pages = *v;

  if (preset != "generic") {
    for (const char* k : kGenericKeys) {
      if (s.raw().contains(k)) {
        s.node(k);
        d.add(where(k), fmt::format("{}: only with preset = \"generic\" (the {} preset's mapping is fixed)",
                                    s.path(k), preset));
      }
    }
    return out;
  }

  if (auto v = s.string("path")) out->path = *v;
  if (out->path.empty() || out->path.front() != '/') {
    d.add(where("path"), fmt::format("{}: required with preset = \"generic\", starting with '/' (may contain "
                                     "{{customer_id}})",
                                     s.path("path")));
  }
  if (auto v = s.string("auth")) {
    static const RE2 header_re("header:([A-Za-z0-9!#$%&'*+.^_`|~-]+)");
    std::string name;
    if (*v == "bearer") {
      out->auth_header.clear();
    } else if (RE2::FullMatch(*v, header_re, &name)) {
      out->auth_header = name;
    } else {
      d.add(where("auth"), fmt::format("{}: '{}' is not \"bearer\" or \"header:<Name>\"", s.path("auth"), *v));
    }
  }
  const std::pair<const char*, std::string*> pointers[] = {
      {"items_pointer", &out->items_pointer},     {"id_pointer", &out->id_pointer},
      {"url_pointer", &out->url_pointer},         {"status_pointer", &out->status_pointer},
      {"created_pointer", &out->created_pointer}, {"next_pointer", &out->next_pointer}};
  for (auto [key, field] : pointers) {
    if (auto v = s.string(key)) {
      if (!valid_pointer(*v)) {
        d.add(where(key), fmt::format("{}: '{}' is not a JSON pointer (\"\" or \"/a/b\")", s.path(key), *v));
      }
      *field = *v;
    }
  }
  out->items_fallback = false;
  if (out->id_pointer.empty()) d.add(s.where(), fmt::format("{}: 'id_pointer' is required", s.name()));
  if (out->url_pointer.empty()) d.add(s.where(), fmt::format("{}: 'url_pointer' is required", s.name()));
  if (auto t = s.table("status_map")) {
    out->status_map.clear();
    for (auto&& [k, v] : t->raw()) {
      const std::string key(k.str());
      auto st = t->string(key, {"active", "inactive", "deleted"});
      if (st) out->status_map[lower(key)] = *subscription_status_from(*st);
    }
    t->finish();
  }
  if (!out->status_pointer.empty() && out->status_map.empty()) {
    d.add(where("status_pointer"),
          fmt::format("{}: needs a status_map table (platform status = \"active\" | \"inactive\" | \"deleted\")",
                      s.path("status_pointer")));
  }
  if (auto v = s.string("cursor_param")) out->cursor_param = *v;
  if (auto v = s.string("page_param")) out->page_param = *v;
  if (auto v = s.string("page_size_param")) out->page_size_param = *v;
  if (auto v = s.integer("page_size", 1, 100'000)) out->page_size = *v;
  if (auto v = s.integer("first_page", 0, 1)) out->first_page = *v;
  if (!out->next_pointer.empty() && !out->page_param.empty()) {
    d.add(s.where(), fmt::format("{}: next_pointer and page_param are two kinds of pagination; set one", s.name()));
  }
  if (!out->cursor_param.empty() && out->next_pointer.empty()) {
    d.add(where("cursor_param"), fmt::format("{}: needs next_pointer (where the cursor is)", s.path("cursor_param")));
  }
  if (!out->page_size_param.empty() && out->page_param.empty()) {
    d.add(where("page_size_param"), fmt::format("{}: needs page_param", s.path("page_size_param")));
  }
  return out;
}

class PlatformSource final : public ConfiguredSource {
 public:
  PlatformSource(const SourceConfig& c)
      : ConfiguredSource(c), s_(c.as<PlatformSettings>()), origin_(c.origin), http_(c.name, c.common) {}

  std::vector<FactKind> provides() const override { return {FactKind::webhooks, FactKind::api_endpoints}; }

  void collect(Facts& into, Time, std::vector<std::string>& problems) override {
    http_.start();
    const std::vector<std::string> customers = s_.customers.empty() ? customers_from_dir() : s_.customers;
    Facts part;
    part.api_endpoints.push_back({name(), s_.base_url, origin_});
    for (const auto& id : customers) read_customer(id, part.webhooks, problems);
    // Appended only once every customer's every page was read.
    into.webhooks.insert(into.webhooks.end(), part.webhooks.begin(), part.webhooks.end());
    into.api_endpoints.insert(into.api_endpoints.end(), part.api_endpoints.begin(), part.api_endpoints.end());
  }

 private:
  std::vector<std::string> customers_from_dir() const {
    std::error_code ec;
    fs::directory_iterator it(s_.tokens_dir, ec);
    if (ec) {
      throw SourceError(fmt::format("{}: cannot list tokens_dir '{}' ({})", name(), s_.tokens_dir.string(),
                                    ec.message()));
    }
    static const RE2 id_re("[A-Za-z0-9][A-Za-z0-9_.@-]*");
    std::vector<std::string> out;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      const std::string file = it->path().filename().string();
      if (!file.starts_with(s_.file_prefix)) continue;
      const std::string id = file.substr(s_.file_prefix.size());
      std::error_code sec;
      if (!RE2::FullMatch(id, id_re) || !fs::is_regular_file(it->path(), sec)) continue;  // ..data, README dirs
      out.push_back(id);
    }
    if (ec) throw SourceError(fmt::format("{}: listing tokens_dir '{}' failed ({})", name(), s_.tokens_dir.string(), ec.message()));
    if (out.empty()) {
      throw SourceError(fmt::format("{}: no token files in tokens_dir '{}'{}: no customer's subscriptions could be "
                                    "read",
                                    name(), s_.tokens_dir.string(),
                                    s_.file_prefix.empty() ? "" : fmt::format(" (named '{}<customer id>')", s_.file_prefix)));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string first_url(const std::string& customer) const {
    std::string path = s_.path;
    for (auto at = path.find("{customer_id}"); at != std::string::npos; at = path.find("{customer_id}")) {
      path.replace(at, 13, url_encode(customer));
    }
    return s_.base_url + path;
  }

  static std::string with_param(std::string url, const std::string& name, const std::string& value) {
    url += url.find('?') == std::string::npos ? '?' : '&';
    return url + url_encode(name) + "=" + url_encode(value);
  }

  void read_customer(const std::string& customer, std::vector<WebhookSubscription>& out,
                     std::vector<std::string>& problems) {
    const fs::path token_file = s_.tokens_dir / (s_.file_prefix + customer);
    const std::string token = read_secret_file(token_file, name());
    const std::string header =
        s_.auth_header.empty() ? "Authorization: Bearer " + token : s_.auth_header + ": " + token;
    const std::string hint = fmt::format("the token of customer {} ({}) was refused: check it is current and has "
                                         "read access to webhook subscriptions",
                                         customer, token_file.string());
    const std::string base = first_url(customer);
    std::string url = s_.page_param.empty() ? base : page_url(base, s_.first_page);
    std::set<std::string> seen_urls;
    for (std::int64_t page = 0;; ++page) {
      if (page >= s_.max_pages) {
        throw SourceError(fmt::format("{}: customer {}: more than {} pages; raise max_pages or check the "
                                      "pagination settings",
                                      name(), customer, s_.max_pages));
      }
      HttpRequest req{.url = url, .headers = {header, "Accept: application/json"}};
      req.what = fmt::format("customer {}: GET {} (page {})", customer, url_for_messages(url), page + 1);
      const HttpResponse r = http_.get_ok(req, hint);
      const json doc = parse_json_body(r, name(), req.what);
      const json* items = items_of(doc);
      if (items == nullptr) {
        throw SourceError(fmt::format("{}: {}: no array of subscriptions at '{}'; check items_pointer", name(),
                                      req.what, s_.items_pointer));
      }
      for (std::size_t i = 0; i < items->size(); ++i) {
        add_item((*items)[i], customer, fmt::format("customer {} page {} item {}", customer, page + 1, i + 1), out,
                 problems);
      }
      // The next page, if any.
      std::string next;
      if (!s_.next_pointer.empty()) {
        const json* n = at_pointer(doc, s_.next_pointer);
        if (n == nullptr || n->is_null() || (n->is_string() && n->get<std::string>().empty())) break;
        auto v = scalar_text(*n);
        if (!v) throw SourceError(fmt::format("{}: {}: next_pointer does not point at a string", name(), req.what));
        next = next_url(base, *v, req.what);
      } else if (!s_.page_param.empty()) {
        if (items->empty()) break;
        if (!s_.page_size_param.empty() && static_cast<std::int64_t>(items->size()) < s_.page_size) break;
        next = page_url(base, s_.first_page + page + 1);
      } else {
        break;
      }
      if (!seen_urls.insert(next).second) {
        throw SourceError(fmt::format("{}: {}: the next page repeats an earlier one; check the pagination settings",
                                      name(), req.what));
      }
      url = next;
    }
  }

  std::string page_url(const std::string& base, std::int64_t page) const {
    std::string u = with_param(base, s_.page_param, std::to_string(page));
    if (!s_.page_size_param.empty()) u = with_param(u, s_.page_size_param, std::to_string(s_.page_size));
    return u;
  }

  // A next link (absolute on the same origin, or a path) or a cursor. The
  // token is never sent to another host than base_url's.
  std::string next_url(const std::string& base, const std::string& v, const std::string& what) const {
    if (!s_.cursor_param.empty()) return with_param(base, s_.cursor_param, v);
    if (v.starts_with("/")) return origin_of(s_.base_url) + v;
    if (v.starts_with("https://") || v.starts_with("http://")) {
      if (origin_of(v) != origin_of(s_.base_url)) {
        throw SourceError(fmt::format("{}: {}: the next-page link points at another host than base_url; the token "
                                      "is not sent there",
                                      name(), what));
      }
      return v;
    }
    throw SourceError(fmt::format("{}: {}: next_pointer holds a cursor, not a link; set cursor_param", name(), what));
  }

  const json* items_of(const json& doc) const {
    const json* items = at_pointer(doc, s_.items_pointer);
    if (items != nullptr && items->is_array()) return items;
    if (s_.items_fallback && doc.is_object()) {
      for (const char* k : {"items", "data", "list", "results", "value"}) {
        if (doc.contains(k) && doc[k].is_array()) return &doc[k];
      }
    }
    return nullptr;
  }

  void add_item(const json& item, const std::string& customer, const std::string& where,
                std::vector<WebhookSubscription>& out, std::vector<std::string>& problems) const {
    WebhookSubscription w;
    w.customer_id = customer;
    w.platform = s_.platform;
    const json* id = at_pointer(item, s_.id_pointer);
    auto id_text = id != nullptr ? scalar_text(*id) : std::nullopt;
    if (!id_text || id_text->empty()) {
      problems.push_back(fmt::format("{}: no id at '{}'; row skipped", where, s_.id_pointer));
      return;
    }
    w.id = *id_text;
    const std::string at = fmt::format("{} (subscription {})", where, w.id);
    const json* url = at_pointer(item, s_.url_pointer);
    if (url == nullptr || !(url->is_string() || url->is_null())) {
      problems.push_back(fmt::format("{}: no notification URL string at '{}'; row skipped", at, s_.url_pointer));
      return;
    }
    w.notification_url = url->is_string() ? url->get<std::string>() : "";  // null: transport-https says "empty"
    if (!s_.status_pointer.empty()) {
      const json* st = at_pointer(item, s_.status_pointer);
      auto text = st != nullptr ? scalar_text(*st) : std::nullopt;
      if (!text) {
        problems.push_back(fmt::format("{}: no status at '{}'; row skipped", at, s_.status_pointer));
        return;
      }
      auto m = s_.status_map.find(lower(*text));
      if (m == s_.status_map.end()) {
        problems.push_back(fmt::format("{}: status {} is not in status_map; row skipped", at, show(*text)));
        return;
      }
      w.status = m->second;
    }
    if (!s_.created_pointer.empty()) {
      if (const json* c = at_pointer(item, s_.created_pointer); c != nullptr && !c->is_null()) {
        std::optional<Time> t;
        if (c->is_string()) t = parse_time(c->get<std::string>());
        else if (c->is_number_integer()) t = from_unix(c->get<std::int64_t>());
        if (!t) problems.push_back(fmt::format("{}: created time is not an RFC 3339 time; kept as unknown", at));
        w.created_at = t;
      }
    }
    out.push_back(std::move(w));
  }

  const PlatformSettings s_;
  std::string origin_;
  HttpClient http_;
};

std::unique_ptr<Source> make(const SourceConfig& c, const SourceContext&) {
  return std::make_unique<PlatformSource>(c);
}

}  // namespace

PlatformSettings platform_preset(std::string_view preset) {
  PlatformSettings p;
  p.preset = std::string(preset);
  if (preset == "raise") {
    // GET /api/Webhook (the reference pages' subscription shape: id, name,
    // notificationUrl, eventTypesList, status). Status arrives as a name or as
    // the number the create request uses (1 = active).
    p.base_url = "https://prod-api.raisedonors.com";
    p.path = "/api/Webhook";
    p.items_fallback = true;
    p.id_pointer = "/id";
    p.url_pointer = "/notificationUrl";
    p.status_pointer = "/status";
    p.created_pointer = "/createdDate";
    p.status_map = {{"active", SubscriptionStatus::active},     {"1", SubscriptionStatus::active},
                    {"inactive", SubscriptionStatus::inactive}, {"disabled", SubscriptionStatus::inactive},
                    {"paused", SubscriptionStatus::inactive},   {"0", SubscriptionStatus::inactive},
                    {"deleted", SubscriptionStatus::deleted}};
  } else if (preset == "virtuous") {
    // Virtuous documents the subscription object (PUT/POST /api/Webhook: id,
    // payloadUrl, secret, per-event booleans, active) but no list endpoint;
    // GET /api/Webhook returning those objects is the closest (docs/sources.md).
    // The secret field is never read.
    p.base_url = "https://api.virtuoussoftware.com";
    p.path = "/api/Webhook";
    p.items_fallback = true;
    p.id_pointer = "/id";
    p.url_pointer = "/payloadUrl";
    p.status_pointer = "/active";
    p.created_pointer = "/createDateTimeUtc";
    p.status_map = {{"true", SubscriptionStatus::active}, {"false", SubscriptionStatus::inactive}};
  }
  return p;
}

extern const SourceType kPlatformSourceType{
    "platform",
    "webhook subscriptions per customer from a platform's REST API (Raise, Virtuous, or a generic mapping)",
    parse, make};

}  // namespace complyd
