// A scripted HTTP/1.1 server on 127.0.0.1, port 0, in a thread of the test:
// the stand-in for SaaS APIs that cannot run here (Vault, AWS Secrets
// Manager, the platforms). Each test gives a handler that answers from the
// documented request/response shapes, and reads back what it was sent.
#pragma once

#include "daemon/util/prelude.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
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

  explicit StubHttpServer(Handler h) : handler_(std::move(h)), acceptor_(io_) {
    namespace ip = boost::asio::ip;
    ip::tcp::endpoint ep(ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~StubHttpServer() {
    stop_ = true;
    boost::system::error_code ec;
    // Wake the blocking accept with a connection of our own.
    boost::asio::ip::tcp::socket s(io_);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    s.close(ec);
    thread_.join();
  }

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<StubRequest> requests() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::size_t count(const std::string& path_prefix = "") const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& r : seen_) n += r.target.starts_with(path_prefix) ? 1 : 0;
    return n;
  }

 private:
  void serve() {
    namespace http = boost::beast::http;
    while (!stop_) {
      boost::asio::ip::tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) break;
      boost::beast::flat_buffer buf;
      for (;;) {  // keep-alive: curl reuses the connection
        http::request<http::string_body> req;
        http::read(sock, buf, req, ec);
        if (ec) break;
        StubRequest r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        r.body = req.body();
        for (const auto& f : req) {
          std::string n(f.name_string());
          for (auto& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          r.headers[n] = std::string(f.value());
        }
        {
          std::lock_guard lock(mu_);
          seen_.push_back(r);
        }
        StubResponse out = handler_(r);
        if (out.delay.count() > 0) std::this_thread::sleep_for(out.delay);
        std::string head = "HTTP/1.1 " + std::to_string(out.status) + " Stub\r\n";
        for (const auto& [k, v] : out.headers) head += k + ": " + v + "\r\n";
        head += "Content-Length: " + std::to_string(out.body.size()) + "\r\n";
        if (out.truncate_at) head += "Connection: close\r\n";
        head += "\r\n";
        const std::string body = out.truncate_at ? out.body.substr(0, *out.truncate_at) : out.body;
        boost::asio::write(sock, boost::asio::buffer(head + body), ec);
        if (ec || out.truncate_at || !req.keep_alive()) break;
      }
      sock.close(ec);
    }
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<StubRequest> seen_;
};

}  // namespace complyd::itest
