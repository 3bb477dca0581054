// SPDX-License-Identifier: Apache-2.0
// The JSON replies of Vault, AWS Secrets Manager, the platforms (the Raise
// and Virtuous presets, a generic mapping with cursor pagination) and
// Prometheus, through each source's real collect() with the network replaced
// (set_http_transport_for_test). The first byte picks the source; the rest
// is the sequence of replies, separated by NUL bytes, each optionally
// starting with "@NNN" for its HTTP status (200 otherwise). Once the replies
// run out every request gets a 404. A source may fail (a SourceError, or any
// std::exception, which the cycle turns into a failed source), never crash.
// FUZZ_TRACE=1 prints each request and its status (to write seeds).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/log/log.hpp"
#include "daemon/sources/aws_secrets_manager_source.hpp"
#include "daemon/sources/http_client.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/sources/vault_source.hpp"

namespace {

using namespace complyd;
namespace fs = std::filesystem;

struct Fixture {
  fs::path dir;
  Config config;
  std::vector<std::unique_ptr<Source>> sources;
};

void write_file(const fs::path& p, std::string_view text) {
  std::ofstream(p, std::ios::binary) << text;
}

Fixture& fixture() {
  static Fixture* f = [] {
    auto* x = new Fixture;
    char tmpl[] = "/tmp/complyd-replies-fuzz-XXXXXX";
    x->dir = ::mkdtemp(tmpl);
    write_file(x->dir / "vault-token", "fuzz-vault-token-7c1d\n");
    write_file(x->dir / "aws-credentials",
               "[default]\naws_access_key_id = AKIAFUZZFUZZFUZZ\naws_secret_access_key = fuzzsecretfuzzsecret\n");
    fs::create_directory(x->dir / "tokens");
    write_file(x->dir / "tokens" / "cust_0001", "fuzz-platform-token-1\n");
    write_file(x->dir / "tokens" / "cust_0002", "fuzz-platform-token-2\n");
    const std::string d = x->dir.string();
    const std::string text = R"([inventory]
path = ")" + d + R"(/inventory.db"
[[sources]]
name = "vault"
type = "vault"
url = "http://127.0.0.1:8200"
prefix = "raise"
token_file = ")" + d + R"(/vault-token"
kinds = { "raise-token" = "api_token" }
[[sources]]
name = "aws"
type = "aws-secrets-manager"
region = "eu-west-1"
endpoint = "http://127.0.0.1:4566"
prefix = "raise"
credentials_file = ")" + d + R"(/aws-credentials"
[[sources]]
name = "raise"
type = "platform"
preset = "raise"
base_url = "http://127.0.0.1:8080"
tokens_dir = ")" + d + R"(/tokens"
[[sources]]
name = "virtuous"
type = "platform"
preset = "virtuous"
base_url = "http://127.0.0.1:8080"
tokens_dir = ")" + d + R"(/tokens"
[[sources]]
name = "generic"
type = "platform"
preset = "generic"
platform = "revolv3"
base_url = "http://127.0.0.1:8080/api"
tokens_dir = ")" + d + R"(/tokens"
customers = ["cust_0001"]
path = "/v2/accounts/{customer_id}/webhooks"
auth = "header:X-Api-Key"
items_pointer = "/data/hooks"
id_pointer = "/id"
url_pointer = "/target/url"
status_pointer = "/state"
status_map = { enabled = "active", paused = "inactive", removed = "deleted" }
created_pointer = "/created"
next_pointer = "/links/next"
cursor_param = "after"
max_pages = 20
[[sources]]
name = "prometheus"
type = "prometheus"
url = "http://127.0.0.1:9090"
lookback = "2h"
chunk = "1h"
)";
    auto r = parse_config(text, x->dir / "complyd.toml");
    if (!r.ok()) {
      for (const auto& p : r.problems) std::fprintf(stderr, "%s\n", p.to_string().c_str());
      std::abort();
    }
    x->config = std::move(*r.config);
    // Backoff waits (AWS throttling) take no time: the fuzzer would sleep.
    const HttpClient::Sleep no_wait = [](std::chrono::milliseconds) {};
    for (const auto& sc : x->config.sources) {
      if (sc.type == "aws-secrets-manager") {
        x->sources.push_back(std::make_unique<AwsSecretsManagerSource>(sc, no_wait));
      } else if (sc.type == "vault") {
        x->sources.push_back(std::make_unique<VaultSource>(sc, no_wait));
      } else {
        x->sources.push_back(find_source_type(sc.type)->make(sc, SourceContext{x->config}));
      }
    }
    complyd::log::init(complyd::log::Level::error);  // the sources' warnings would drown libFuzzer's output
    return x;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Fixture& f = fixture();
  Source& source = *f.sources[data[0] % f.sources.size()];
  std::vector<std::string_view> replies;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  while (!rest.empty()) {
    const auto nul = rest.find('\0');
    replies.push_back(rest.substr(0, nul));
    rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  }
  static const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
  std::size_t next = 0;
  set_http_transport_for_test([&](const HttpRequest& req) {
    HttpResponse r;
    r.status = 404;
    if (next < replies.size() && next < 200) {
      std::string_view body = replies[next++];
      r.status = 200;
      if (body.size() >= 4 && body[0] == '@') {
        r.status = std::atoi(std::string(body.substr(1, 3)).c_str());
        body.remove_prefix(4);
      }
      r.body = body;
    }
    if (trace) std::fprintf(stderr, "%s %s -> %ld\n", req.method.c_str(), req.url.c_str(), r.status);
    return r;
  });
  Facts facts;
  std::vector<std::string> problems;
  try {
    source.collect(facts, *parse_time("2026-11-22T10:00:00Z"), problems);
  } catch (const std::exception& e) {
    if (trace) std::fprintf(stderr, "failed: %s\n", e.what());
  }
  if (trace) {
    for (const auto& p : problems) std::fprintf(stderr, "problem: %s\n", p.c_str());
  }
  set_http_transport_for_test({});
  return 0;
}
