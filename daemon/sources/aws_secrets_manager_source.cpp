// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/aws_secrets_manager_source.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <re2/re2.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/util/bounded_file.hpp"
#include "model/time.hpp"
#include "daemon/config/section.hpp"

namespace complyd {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct AwsKeys {
  std::string access_key, secret_key, session_token;
  ~AwsKeys() {
    for (auto* s : {&access_key, &secret_key, &session_token}) OPENSSL_cleanse(s->data(), s->size());
  }
};

std::string trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return std::string(v);
}

// The [profile] of an INI credentials file (~/.aws/credentials layout).
void load_keys_from_file(const fs::path& file, const std::string& profile, const std::string& source, AwsKeys& k) {
  std::string error;
  auto text = read_bounded_file(file, kMaxSecretFileBytes, error);
  if (!text) throw SourceError(fmt::format("{}: credentials_file: {}", source, error));
  std::istringstream in(std::move(*text));
  std::string line, section;
  bool found = false;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      found |= section == profile;
      continue;
    }
    if (section != profile) continue;
    const auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(std::string_view(t).substr(0, eq));
    std::string value = trim(std::string_view(t).substr(eq + 1));
    if (key == "aws_access_key_id") k.access_key = std::move(value);
    else if (key == "aws_secret_access_key") k.secret_key = std::move(value);
    else if (key == "aws_session_token") k.session_token = std::move(value);
    OPENSSL_cleanse(value.data(), value.size());
  }
  OPENSSL_cleanse(line.data(), line.size());
  if (!found) {
    throw SourceError(fmt::format("{}: credentials_file '{}' has no [{}] profile (set 'profile')", source,
                                  file.string(), profile));
  }
  if (k.access_key.empty() || k.secret_key.empty()) {
    throw SourceError(fmt::format("{}: credentials_file '{}' [{}] needs aws_access_key_id and aws_secret_access_key",
                                  source, file.string(), profile));
  }
}

void load_keys(const AwsSecretsManagerSettings& s, const std::string& source, AwsKeys& k) {
  if (!s.credentials_file.empty()) {
    load_keys_from_file(s.credentials_file, s.profile, source, k);
  } else {
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    if (id == nullptr || *id == '\0' || secret == nullptr || *secret == '\0') {
      throw SourceError(fmt::format(
          "{}: no AWS credentials: set credentials_file (an INI file like ~/.aws/credentials with "
          "aws_access_key_id and aws_secret_access_key, profile '{}') or the environment variables "
          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)",
          source, s.profile));
    }
    k.access_key = id;
    k.secret_key = secret;
    if (token != nullptr) k.session_token = token;
  }
  register_secret(k.secret_key);
  if (!k.session_token.empty()) register_secret(k.session_token);
}

// "com.amazonaws.secretsmanager#ThrottlingException" -> "ThrottlingException";
// only an error code's characters survive (never message text).
std::string error_type(const HttpResponse& r) {
  std::string type;
  try {
    const json j = json::parse(r.body);
    if (j.is_object() && j.contains("__type") && j["__type"].is_string()) type = j["__type"].get<std::string>();
  } catch (const json::exception&) {
  }
  if (type.empty()) {
    if (auto h = r.header("x-amzn-errortype")) type = *h;
  }
  type = type.substr(0, type.find(':'));
  if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  std::string out;
  for (char c : type) {
    if (std::isalnum(static_cast<unsigned char>(c)) && out.size() < 80) out += c;
  }
  return out;
}

bool throttled(std::string_view type) {
  return type == "ThrottlingException" || type == "TooManyRequestsException" || type == "RequestLimitExceeded" ||
         type == "Throttling";
}

bool auth_error(long status, std::string_view type) {
  static const std::set<std::string_view> types{"AccessDeniedException",     "UnrecognizedClientException",
                                                "InvalidSignatureException", "SignatureDoesNotMatch",
                                                "ExpiredTokenException",     "IncompleteSignature",
                                                "MissingAuthenticationToken", "InvalidClientTokenId",
                                                "AccessDenied",              "ExpiredToken"};
  return status == 401 || status == 403 || types.contains(type);
}

// AWS JSON 1.1 dates: epoch seconds as a (fractional) number.
std::optional<Time> aws_time(const json& e, const char* key, const std::string& where,
                             std::vector<std::string>& problems) {
  if (!e.contains(key) || e[key].is_null()) return std::nullopt;
  // Years 1 to 9999: a larger number does not fit a Time (undefined behaviour; found by
  // tests/fuzz/replies_fuzz).
  if (!e[key].is_number() || !std::isfinite(e[key].get<double>()) || e[key].get<double>() < -62135596800.0 ||
      e[key].get<double>() > 253402300799.0) {
    problems.push_back(fmt::format("{}: its {} is not a date; ignored", where, key));
    return std::nullopt;
  }
  return from_unix(static_cast<std::int64_t>(std::floor(e[key].get<double>())));
}

std::shared_ptr<const SourceSettings> parse(cfg::Section& s, const fs::path& base) {
  auto v = std::make_shared<AwsSecretsManagerSettings>();
  bool ok = true;
  if (auto r = s.string("region")) {
    static const RE2 re("[a-z]{2}(-[a-z0-9]+)+-[0-9]+");
    if (!RE2::FullMatch(*r, re)) {
      s.diagnostics().add(s.raw().get("region")->source(),
                          fmt::format("{}: '{}' is not an AWS region such as \"eu-west-1\"", s.path("region"), *r));
      ok = false;
    }
    v->region = *r;
  } else {
    if (!s.raw().contains("region")) s.diagnostics().add(s.where(), fmt::format("{}: 'region' is required", s.name()));
    ok = false;
  }
  v->endpoint = fmt::format("https://secretsmanager.{}.amazonaws.com", v->region);
  if (auto e = s.string("endpoint")) {
    if (auto why = check_source_url(*e); !why.empty()) {
      s.diagnostics().add(s.raw().get("endpoint")->source(), fmt::format("{}: {}", s.path("endpoint"), why));
      ok = false;
    }
    v->endpoint = *e;
  }
  while (!v->endpoint.empty() && v->endpoint.back() == '/') v->endpoint.pop_back();
  v->naming = parse_secret_naming(s, "name_template");
  ok &= v->naming.templ.has_value();
  if (auto f = s.string_list("name_filters")) {
    v->name_filters = *f;
  } else if (v->naming.templ && !v->naming.templ->literal_dir().empty()) {
    v->name_filters = {v->naming.templ->literal_dir()};  // list only what the template can match
  }
  if (v->name_filters.size() > 10) {
    s.diagnostics().add(s.raw().get("name_filters")->source(),
                        fmt::format("{}: AWS accepts at most 10 filter values", s.path("name_filters")));
    ok = false;
  }
  if (auto p = s.secret_file_value("credentials_file", base)) v->credentials_file = *p;
  if (auto p = s.string("profile")) v->profile = *p;
  if (auto b = s.boolean("previous_versions")) v->previous_versions = *b;
  if (!ok) return nullptr;
  return v;
}

std::unique_ptr<Source> make(const SourceConfig& c, const SourceContext&) {
  return std::make_unique<AwsSecretsManagerSource>(c);
}

}  // namespace

const SourceType kAwsSecretsManagerSourceType{
    "aws-secrets-manager", "AWS Secrets Manager: credential metadata from ListSecrets (no values)", parse, make};

AwsSecretsManagerSource::AwsSecretsManagerSource(const SourceConfig& c, HttpClient::Sleep sleep)
    : ConfiguredSource(c),
      s_(c.as<AwsSecretsManagerSettings>()),
      sleep_(sleep ? sleep : HttpClient::Sleep(interruptible_sleep)),
      http_(c.name, c.common, sleep_) {}

void AwsSecretsManagerSource::collect(Facts& into, Time /*now*/, std::vector<std::string>& problems) {
  http_.start();
  pages_ = 0;
  const auto deadline = std::chrono::steady_clock::now() + common().deadline;
  AwsKeys keys;
  load_keys(s_, name(), keys);
  const SecretTemplate& templ = *s_.naming.templ;
  const std::string auth_hint =
      fmt::format("check credentials_file{} or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (an expired session "
                  "token?), and that the IAM policy allows secretsmanager:ListSecrets",
                  s_.credentials_file.empty() ? "" : " (profile '" + s_.profile + "')");

  std::string next;
  std::set<std::string> seen_tokens;
  for (;;) {
    json body = {{"MaxResults", 100}, {"IncludePlannedDeletion", true}};
    if (!s_.name_filters.empty()) body["Filters"] = json::array({{{"Key", "name"}, {"Values", s_.name_filters}}});
    if (!next.empty()) body["NextToken"] = next;
    HttpRequest req{.method = "POST",
                    .url = s_.endpoint + "/",
                    .headers = {"Content-Type: application/x-amz-json-1.1",
                                "X-Amz-Target: secretsmanager.ListSecrets"},
                    .body = body.dump(),
                    .aws_sigv4 = fmt::format("aws:amz:{}:secretsmanager", s_.region),
                    .aws_access_key = keys.access_key,
                    .aws_secret_key = keys.secret_key,
                    .what = fmt::format("ListSecrets (page {})", pages_ + 1)};
    if (!keys.session_token.empty()) req.headers.push_back("X-Amz-Security-Token: " + keys.session_token);

    // AWS answers throttling with HTTP 400: retried here like the client retries 429.
    HttpResponse r;
    for (int attempt = 1;; ++attempt) {
      r = http_.send(req);
      if (r.status >= 200 && r.status < 300) break;
      const std::string type = error_type(r);
      if (r.status == 400 && throttled(type)) {
        if (attempt >= common().max_attempts) {
          throw SourceError(fmt::format("{}: {}: throttled ({}) after {} attempts; raise max_attempts or lower the "
                                        "cycle frequency",
                                        name(), req.what, type, attempt));
        }
        const std::chrono::milliseconds backoff = std::min<std::chrono::milliseconds>(
            std::chrono::duration_cast<std::chrono::milliseconds>(common().retry_initial) *
                (std::int64_t{1} << std::min(attempt - 1, 20)),
            std::chrono::duration_cast<std::chrono::milliseconds>(common().retry_max));
        if (std::chrono::steady_clock::now() + backoff >= deadline) {
          throw SourceError(fmt::format("{}: {}: throttled ({}); waiting {} ms more would pass the source deadline "
                                        "({} s)",
                                        name(), req.what, type, backoff.count(), common().deadline.count()));
        }
        CLOG(warning) << name() << ": " << req.what << ": throttled (" << type << "); retrying in " << backoff.count()
                      << " ms (attempt " << attempt + 1 << " of " << common().max_attempts << ")";
        sleep_(backoff);
        continue;
      }
      if (auth_error(r.status, type)) {
        throw SourceError(fmt::format("{}: {}: authentication refused (HTTP {}{}); {}", name(), req.what, r.status,
                                      type.empty() ? "" : " " + type, auth_hint));
      }
      throw SourceError(fmt::format("{}: {}: unexpected HTTP {}{}", name(), req.what, r.status,
                                    type.empty() ? "" : " " + type));
    }
    ++pages_;
    const json page = parse_json_body(r, name(), req.what);
    if (!page.is_object() || !page.contains("SecretList") || !page["SecretList"].is_array()) {
      throw SourceError(fmt::format("{}: {}: unexpected response (no SecretList)", name(), req.what));
    }
    for (const json& e : page["SecretList"]) {
      if (!e.is_object() || !e.contains("Name") || !e["Name"].is_string()) {
        problems.push_back(fmt::format("{}: an entry without a Name; ignored", req.what));
        continue;
      }
      const std::string secret = e["Name"].get<std::string>();
      const std::string where = "secret " + secret;
      std::map<std::string, std::string> tags;
      if (e.contains("Tags") && e["Tags"].is_array()) {
        for (const json& t : e["Tags"]) {
          if (t.is_object() && t.value("Key", json()).is_string() && t.value("Value", json()).is_string())
            tags[t["Key"].get<std::string>()] = t["Value"].get<std::string>();
        }
      }
      auto tag = [&](const char* k) -> const std::string* {
        auto it = tags.find(k);
        return it == tags.end() ? nullptr : &it->second;
      };
      const auto m = templ.match(secret);
      Credential c;
      if (m) {
        c.customer_id = m->customer_id;
        c.environment = m->environment;
        if (auto k = s_.naming.kinds.find(m->name); k != s_.naming.kinds.end()) c.kind = k->second;
      }
      if (auto* t = tag("complyd:customer_id")) c.customer_id = *t;
      if (auto* t = tag("complyd:environment")) c.environment = *t;
      if (auto* t = tag("complyd:kind")) c.kind = *t;
      if (c.customer_id.empty() || c.kind.empty()) {
        problems.push_back(
            m ? fmt::format("{}: '{}' is not a known credential name (map it under 'kinds' or tag complyd:kind)",
                            where, m->name)
              : fmt::format("{}: does not match name_template '{}' (or tag it complyd:customer_id and complyd:kind)",
                            where, templ.text()));
        continue;
      }
      c.storage_path = secret;
      c.created_at = aws_time(e, "CreatedDate", where, problems);
      const auto rotated = aws_time(e, "LastRotatedDate", where, problems);
      const auto changed = aws_time(e, "LastChangedDate", where, problems);
      c.rotated_at = rotated ? rotated : changed ? changed : c.created_at;
      if (auto* t = tag("complyd:rotated_at")) {
        if (auto v = parse_time(*t)) c.rotated_at = v;
        else problems.push_back(fmt::format("{}: tag complyd:rotated_at is not an RFC 3339 time; ignored", where));
      }
      c.last_used_at = aws_time(e, "LastAccessedDate", where, problems);
      if (auto* t = tag("complyd:role")) {
        if (auto role = credential_role_from(*t)) c.role = *role;
        else problems.push_back(fmt::format("{}: tag complyd:role is not current, previous, pending or revoked; "
                                            "ignored", where));
      }
      const bool deleting = aws_time(e, "DeletedDate", where, problems).has_value();
      if (deleting) c.role = CredentialRole::revoked;  // scheduled for deletion: still stored, restorable
      if (s_.previous_versions && !deleting && c.role == CredentialRole::current && e.contains("SecretVersionsToStages") &&
          e["SecretVersionsToStages"].is_object()) {
        for (const auto& [id, stages] : e["SecretVersionsToStages"].items()) {
          if (!stages.is_array() || std::find(stages.begin(), stages.end(), json("AWSPREVIOUS")) == stages.end()) continue;
          Credential p = c;
          p.role = CredentialRole::previous;
          p.storage_path = secret + "?stage=AWSPREVIOUS";
          p.created_at.reset();  // ListSecrets has no per-version dates: the current's rotation retires it
          p.rotated_at.reset();
          p.last_used_at.reset();
          into.credentials.push_back(std::move(p));
        }
      }
      into.credentials.push_back(std::move(c));
    }
    if (!page.contains("NextToken") || !page["NextToken"].is_string() || page["NextToken"].get<std::string>().empty())
      break;
    next = page["NextToken"].get<std::string>();
    if (!seen_tokens.insert(next).second) {
      throw SourceError(fmt::format("{}: {}: the same NextToken came back twice; pagination stopped", name(), req.what));
    }
  }
}

}  // namespace complyd
