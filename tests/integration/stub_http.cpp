// SPDX-License-Identifier: Apache-2.0
#include "tests/integration/stub_http.hpp"

#include "daemon/util/prelude.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <mutex>
#include <thread>

namespace complyd::itest {

struct StubHttpServer::Impl {
  explicit Impl(Handler h) : handler(std::move(h)), acceptor(io) {}

  void serve() {
    namespace http = boost::beast::http;
    while (!stop) {
      boost::asio::ip::tcp::socket sock(io);
      boost::system::error_code ec;
      acceptor.accept(sock, ec);
      if (ec || stop) break;
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
          std::lock_guard lock(mu);
          seen.push_back(r);
        }
        StubResponse out = handler(r);
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

  Handler handler;
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor;
  unsigned short port = 0;
  std::thread thread;
  std::atomic<bool> stop{false};
  mutable std::mutex mu;
  std::vector<StubRequest> seen;
};

StubHttpServer::StubHttpServer(Handler h) : impl_(std::make_unique<Impl>(std::move(h))) {
  namespace ip = boost::asio::ip;
  ip::tcp::endpoint ep(ip::make_address("127.0.0.1"), 0);
  auto& a = impl_->acceptor;
  a.open(ep.protocol());
  a.set_option(ip::tcp::acceptor::reuse_address(true));
  a.bind(ep);
  a.listen();
  impl_->port = a.local_endpoint().port();
  impl_->thread = std::thread([impl = impl_.get()] { impl->serve(); });
}

StubHttpServer::~StubHttpServer() {
  impl_->stop = true;
  boost::system::error_code ec;
  // Wake the blocking accept with a connection of our own.
  boost::asio::ip::tcp::socket s(impl_->io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), impl_->port}, ec);
  s.close(ec);
  impl_->thread.join();
}

unsigned short StubHttpServer::port() const { return impl_->port; }

std::vector<StubRequest> StubHttpServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->seen;
}

std::size_t StubHttpServer::count(const std::string& path_prefix) const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& r : impl_->seen) n += r.target.starts_with(path_prefix) ? 1 : 0;
  return n;
}

}  // namespace complyd::itest
