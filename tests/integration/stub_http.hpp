// SPDX-License-Identifier: Apache-2.0
// A scripted HTTP/1.1 server on 127.0.0.1, port 0, in a thread of the test:
// the stand-in for SaaS APIs that cannot run here (Vault, AWS Secrets
// Manager, the platforms). Each test gives a handler that answers from the
// documented request/response shapes, and reads back what it was sent.
// Beast stays in stub_http.cpp, compiled once for all the tests using it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace complyd::itest {

struct StubRequest {
  std::string method;
  std::string target;  // path and query
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string path() const { return target.substr(0, target.find('?')); }
  std::string query() const {
    auto q = target.find('?');
    return q == std::string::npos ? "" : target.substr(q + 1);
  }
  std::string header(const std::string& n) const {
    auto it = headers.find(n);
    return it == headers.end() ? "" : it->second;
  }
};

struct StubResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
  std::chrono::milliseconds delay{0};  // before answering (timeouts)
  // Close after sending this many body bytes while announcing the whole
  // Content-Length (a connection that breaks mid-response).
  std::optional<std::size_t> truncate_at;
};

class StubHttpServer {
 public:
  using Handler = std::function<StubResponse(const StubRequest&)>;

  explicit StubHttpServer(Handler h);
  ~StubHttpServer();
  StubHttpServer(const StubHttpServer&) = delete;
  StubHttpServer& operator=(const StubHttpServer&) = delete;

  unsigned short port() const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  std::vector<StubRequest> requests() const;
  std::size_t count(const std::string& path_prefix = "") const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace complyd::itest
