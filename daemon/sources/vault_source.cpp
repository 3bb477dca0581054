// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/vault_source.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>

#include "daemon/util/crypto.hpp"
#include "model/time.hpp"
#include "daemon/config/section.hpp"

namespace complyd {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Vault writes nanoseconds ("2026-11-22T10:00:00.123456789Z"); whole seconds are enough.
std::optional<Time> vault_time(const json& v) {
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  const auto dot = s.find('.');
  if (dot != std::string::npos) {
    auto end = dot + 1;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
    s.erase(dot, end - dot);
  }
  return parse_time(s);
}

// Each segment percent-encoded, '/' kept.
std::string encode_path(std::string_view p) {
  std::string out;
  std::size_t start = 0;
  while (start <= p.size()) {
    const auto slash = p.find('/', start);
    const auto seg = p.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    out += url_encode(seg);
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

void wipe(json& j) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    OPENSSL_cleanse(s.data(), s.size());
  } else if (j.is_structured()) {
    for (auto& el : j) wipe(el);
  }
}

void wipe(std::string& s) { OPENSSL_cleanse(s.data(), s.size()); }

// Wipes a token or key when collect() leaves, however it leaves.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { wipe(s); }
};

std::shared_ptr<const SourceSettings> parse(cfg::Section& s, const fs::path& base) {
  auto v = std::make_shared<VaultSettings>();
  bool ok = true;
  auto required = [&](const char* key) {
    if (!s.raw().contains(key)) {
      s.diagnostics().add(s.where(), fmt::format("{}: '{}' is required", s.name(), key));
      ok = false;
    }
  };
  required("url");
  if (auto u = s.string("url")) {
    if (auto why = check_source_url(*u); !why.empty()) {
      s.diagnostics().add(s.raw().get("url")->source(), fmt::format("{}: {}", s.path("url"), why));
      ok = false;
    }
    v->url = *u;
    while (!v->url.empty() && v->url.back() == '/') v->url.pop_back();
  }
  if (auto m = s.string("mount")) {
    std::string mount = *m;
    while (!mount.empty() && mount.front() == '/') mount.erase(0, 1);
    while (!mount.empty() && mount.back() == '/') mount.pop_back();
    if (mount.empty() || mount.find("..") != std::string::npos) {
      s.diagnostics().add(s.raw().get("mount")->source(),
                          fmt::format("{}: '{}' is not a KV v2 mount path", s.path("mount"), *m));
      ok = false;
    }
    v->mount = mount;
  }
  if (auto n = s.string("namespace")) v->vault_namespace = *n;
  required("token_file");
  if (auto p = s.secret_file_value("token_file", base)) v->token_file = *p;
  v->naming = parse_secret_naming(s, "path_template");
  ok &= v->naming.templ.has_value();
  if (auto b = s.boolean("fingerprint")) v->fingerprint = *b;
  if (auto p = s.secret_file_value("fingerprint_key_file", base)) v->fingerprint_key_file = *p;
  if (v->fingerprint && !s.raw().contains("fingerprint_key_file")) {
    s.diagnostics().add(s.where(), fmt::format("{}: fingerprint = true needs 'fingerprint_key_file' (the HMAC key "
                                               "the inventory's fingerprints are made with)",
                                               s.name()));
    ok = false;
  }
  if (auto f = s.string("value_field")) v->value_field = *f;
  if (auto b = s.boolean("check_audit_devices")) v->check_audit_devices = *b;
  if (!ok) return nullptr;
  return v;
}

std::unique_ptr<Source> make(const SourceConfig& c, const SourceContext&) { return std::make_unique<VaultSource>(c); }

}  // namespace

const SourceType kVaultSourceType{
    "vault", "HashiCorp Vault / OpenBao KV v2: credential metadata, versions and audit devices", parse, make};

VaultSource::VaultSource(const SourceConfig& c, HttpClient::Sleep sleep)
    : ConfiguredSource(c), s_(c.as<VaultSettings>()), http_(c.name, c.common, std::move(sleep)) {}

std::vector<FactKind> VaultSource::provides() const {
  std::vector<FactKind> k{FactKind::credentials};
  if (s_.check_audit_devices) k.push_back(FactKind::secret_stores);
  return k;
}

void VaultSource::collect(Facts& into, Time now, std::vector<std::string>& problems) {
  http_.start();
  secrets_read_ = 0;
  const SecretTemplate& templ = *s_.naming.templ;
  std::string token = read_secret_file(s_.token_file, name());
  std::string key;
  if (s_.fingerprint) key = read_secret_file(s_.fingerprint_key_file, name());
  std::vector<std::string> headers{"X-Vault-Token: " + token};
  if (!s_.vault_namespace.empty()) headers.push_back("X-Vault-Namespace: " + s_.vault_namespace);
  const WipeOnExit wipe_token{token}, wipe_key{key}, wipe_header{headers[0]};  // headers no longer grow
  const std::string api = s_.url + "/v1/";
  const std::string policy_hint =
      fmt::format("check token_file (an expired token?) and that its policy grants \"list\" and \"read\" on "
                  "\"{}/metadata/{}*\"",
                  s_.mount, templ.literal_dir());

  if (s_.check_audit_devices) {
    SecretStoreAudit store;
    store.source = name();
    store.store = url_for_messages(s_.url) + (s_.vault_namespace.empty() ? "" : " namespace " + s_.vault_namespace);
    HttpRequest req{.method = "GET", .url = api + "sys/audit", .headers = headers, .what = "GET sys/audit"};
    HttpResponse r = http_.send(req);
    if (r.status == 401 || r.status == 403 || r.status == 404) {
      store.checked = false;
      problems.push_back(fmt::format("sys/audit: {} (HTTP {}); audit devices not checked: the policy needs "
                                     "\"read\" and \"sudo\" on \"sys/audit\", or set check_audit_devices = false",
                                     r.status == 404 ? "not found" : "permission denied", r.status));
    } else {
      if (r.status < 200 || r.status >= 300) r = http_.get_ok(req, policy_hint);  // throws with the usual message
      const json j = parse_json_body(r, name(), "GET sys/audit");
      const json& devs = j.contains("data") && j["data"].is_object() ? j["data"] : j;
      if (!devs.is_object()) throw SourceError(name() + ": GET sys/audit: unexpected response (not an object)");
      for (const auto& [path, d] : devs.items()) {
        // Devices are objects with a type ("file/" in practice, "file" in older docs); request_id,
        // lease_id, ... are not.
        if (path.empty() || !d.is_object() || !d.contains("type") || !d["type"].is_string()) continue;
        store.devices.push_back(fmt::format("{} ({})", path, d["type"].get<std::string>()));
      }
      store.audit_enabled = !store.devices.empty();
    }
    into.secret_stores.push_back(std::move(store));
  }

  // Walk the metadata tree from the template's literal start.
  std::vector<std::string> secrets;
  std::vector<std::string> dirs{templ.literal_dir()};
  auto segments = [](const std::string& p) {
    return static_cast<std::size_t>(std::count(p.begin(), p.end(), '/')) + (p.empty() || p.back() == '/' ? 0 : 1);
  };
  while (!dirs.empty()) {
    const std::string dir = dirs.back();
    dirs.pop_back();
    HttpRequest req{.method = "LIST",
                    .url = api + encode_path(s_.mount) + "/metadata/" + encode_path(dir),
                    .headers = headers,
                    .what = fmt::format("LIST {}/metadata/{}", s_.mount, dir)};
    HttpResponse r = http_.send(req);
    if (r.status == 404) continue;  // Vault's answer for an empty or absent folder
    if (r.status < 200 || r.status >= 300) r = http_.get_ok(req, policy_hint);
    const json j = parse_json_body(r, name(), req.what);
    const json* keys = nullptr;
    if (j.is_object() && j.contains("data") && j["data"].is_object() && j["data"].contains("keys")) {
      keys = &j["data"]["keys"];
    }
    if (keys == nullptr || !keys->is_array()) {
      throw SourceError(fmt::format("{}: {}: unexpected response (no data.keys list); is '{}' a KV v2 mount?", name(),
                                    req.what, s_.mount));
    }
    for (const auto& k : *keys) {
      if (!k.is_string() || k.get<std::string>().empty()) continue;
      const std::string path = dir + k.get<std::string>();
      if (path.back() == '/') {
        if (segments(path) >= templ.depth()) {
          problems.push_back(fmt::format("path {}: a folder deeper than path_template '{}' allows; not listed", path,
                                         templ.text()));
        } else {
          dirs.push_back(path);
        }
      } else {
        secrets.push_back(path);
      }
    }
  }
  std::sort(secrets.begin(), secrets.end());

  // Messages never put ": " right after a path: redaction would read "api_token: word" as a secret.
  std::size_t index = 0;
  for (const std::string& path : secrets) {
    ++index;
    const auto m = templ.match(path);
    if (!m) {
      problems.push_back(fmt::format("path {}: does not match path_template '{}'", path, templ.text()));
      continue;
    }
    const auto kind = s_.naming.kinds.find(m->name);
    if (kind == s_.naming.kinds.end()) {
      problems.push_back(fmt::format("path {}: '{}' is not a known credential name (map it under 'kinds')", path,
                                     m->name));
      continue;
    }
    HttpRequest req{.method = "GET",
                    .url = api + encode_path(s_.mount) + "/metadata/" + encode_path(path),
                    .headers = headers,
                    .what = fmt::format("GET {}/metadata/{} ({} of {})", s_.mount, path, index, secrets.size())};
    HttpResponse r = http_.send(req);
    if (r.status == 404) continue;  // deleted since it was listed
    if (r.status < 200 || r.status >= 300) r = http_.get_ok(req, policy_hint);
    const json j = parse_json_body(r, name(), req.what);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_object()) {
      throw SourceError(fmt::format("{}: {}: unexpected response (no data object)", name(), req.what));
    }
    ++secrets_read_;
    const json& d = j["data"];
    const json custom = d.contains("custom_metadata") && d["custom_metadata"].is_object() ? d["custom_metadata"]
                                                                                           : json::object();
    auto custom_time = [&](const char* k) -> std::optional<Time> {
      if (!custom.contains(k)) return std::nullopt;
      auto t = vault_time(custom[k]);
      if (!t) problems.push_back(fmt::format("path {}: its custom_metadata {} is not an RFC 3339 time; ignored", path, k));
      return t;
    };

    Credential base;
    base.customer_id = m->customer_id;
    base.kind = kind->second;
    base.environment = m->environment;
    if (custom.contains("environment") && custom["environment"].is_string()) {
      base.environment = custom["environment"].get<std::string>();
    }
    std::optional<CredentialRole> role_override;
    if (custom.contains("role")) {
      role_override = custom["role"].is_string() ? credential_role_from(custom["role"].get<std::string>()) : std::nullopt;
      if (!role_override) {
        problems.push_back(fmt::format("path {}: its custom_metadata role is not current, previous, pending or revoked; "
                                       "ignored",
                                       path));
      }
    }
    const auto created = vault_time(d.value("created_time", json()));
    if (!created) problems.push_back(fmt::format("path {}: its created_time is missing or not a time", path));
    // contains() first: value()'s default 0 is an integer too, and d["..."] of a
    // missing key on a const json reads freed memory (tests/fuzz/replies_fuzz).
    const std::int64_t current = d.contains("current_version") && d["current_version"].is_number_integer()
                                     ? d["current_version"].get<std::int64_t>()
                                     : 0;
    const json versions = d.contains("versions") && d["versions"].is_object() ? d["versions"] : json::object();
    if (current <= 0 || !versions.contains(std::to_string(current))) {
      problems.push_back(fmt::format("path {}: its current_version is missing or not among its versions", path));
    }

    bool current_live = false;
    std::vector<std::pair<std::int64_t, const json*>> ordered;
    for (const auto& [num, ver] : versions.items()) {
      std::int64_t n = 0;
      try {
        n = std::stoll(num);
      } catch (const std::exception&) {
        continue;
      }
      if (ver.is_object()) ordered.emplace_back(n, &ver);
    }
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [n, ver] : ordered) {
      if (ver->value("destroyed", false)) continue;  // nothing stored any more
      const auto deleted = vault_time(ver->value("deletion_time", json()));
      const bool soft_deleted = deleted && *deleted <= now;  // a future deletion_time: still live until then
      const auto version_created = vault_time(ver->value("created_time", json()));
      Credential c = base;
      if (n == current) {
        c.storage_path = path;
        c.created_at = created;
        c.rotated_at = version_created;
        c.last_used_at = custom_time("last_used_at");
        c.activated_at = custom_time("activated_at");
        c.role = soft_deleted ? CredentialRole::revoked : role_override.value_or(CredentialRole::current);
        current_live = !soft_deleted;
      } else {
        c.storage_path = fmt::format("{}?version={}", path, n);
        c.created_at = version_created;
        c.rotated_at = version_created;
        c.role = soft_deleted ? CredentialRole::revoked : CredentialRole::previous;
      }
      into.credentials.push_back(std::move(c));
    }

    if (s_.fingerprint && current_live) {
      HttpRequest dr{.method = "GET",
                     .url = api + encode_path(s_.mount) + "/data/" + encode_path(path),
                     .headers = headers,
                     .what = fmt::format("GET {}/data/{} (value)", s_.mount, path)};
      HttpResponse vr = http_.send(dr);
      if (vr.status == 404) {
        wipe(vr.body);
        continue;
      }
      if (vr.status < 200 || vr.status >= 300) {
        wipe(vr.body);
        http_.get_ok(dr, fmt::format("fingerprint = true needs \"read\" on \"{}/data/{}*\"", s_.mount,
                                     templ.literal_dir()));
      }
      json v;
      try {
        v = parse_json_body(vr, name(), dr.what);
      } catch (...) {
        wipe(vr.body);
        throw;
      }
      wipe(vr.body);
      const json* field = nullptr;
      if (v.contains("data") && v["data"].is_object() && v["data"].contains("data") && v["data"]["data"].is_object() &&
          v["data"]["data"].contains(s_.value_field)) {
        field = &v["data"]["data"][s_.value_field];
      }
      // The value is the last version listed above for this path when it is current.
      auto cur = std::find_if(into.credentials.rbegin(), into.credentials.rend(),
                              [&](const Credential& c) { return c.storage_path == path; });
      if (field != nullptr && field->is_string() && !field->get_ref<const std::string&>().empty() &&
          cur != into.credentials.rend()) {
        const std::string& value = field->get_ref<const std::string&>();
        cur->fingerprint = hmac_sha256_hex(key, value);
        cur->entropy_bytes = estimate_entropy_bytes(value);
      } else {
        problems.push_back(fmt::format("path {}: no string field '{}' in the current version (set value_field); "
                                       "not fingerprinted",
                                       path, s_.value_field));
      }
      wipe(v);
    }
  }
}

}  // namespace complyd
