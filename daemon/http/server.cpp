// SPDX-License-Identifier: Apache-2.0
#include "daemon/http/server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <boost/asio/write.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "daemon/http/console.hpp"
#include "daemon/http/handlers.hpp"
#include "daemon/http/ingest.hpp"
#include "daemon/log/log.hpp"

namespace complyd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// The snapshot the worker publishes once per cycle and every request reads.
// A mutex, not std::atomic<std::shared_ptr>: GCC 12's load() releases its
// lock bit with a relaxed store, which ThreadSanitizer reports as a race
// with the next publish (./dev tsan); the lock is held for a copy.
class SnapshotSlot {
 public:
  std::shared_ptr<const Snapshot> load() const {
    std::lock_guard lock(mutex_);
    return snap_;
  }
  void store(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mutex_);
    snap_.swap(s);
  }  // the old snapshot is freed here, outside the lock

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snap_;
};

struct Shared {
  SnapshotSlot snapshot;
  std::shared_ptr<const HttpConfig> config;  // loop thread only
  int active = 0;                            // loop thread only
  int overflow = 0;                          // loop thread only: sessions over max_connections
  // Out of file descriptors: how often since the last log line (loop thread only).
  std::int64_t fd_exhausted = 0;
  std::chrono::steady_clock::time_point fd_logged{};
  std::atomic<std::int64_t> accept_backoffs{0};  // since start, any thread may read
  std::shared_ptr<Ingest> ingest;            // loop thread only; null: no ingest source
  std::shared_ptr<Console> console;          // loop thread only; null: no console
};

namespace {

constexpr std::chrono::seconds kWriteTimeout{30};
// Over max_connections, a few more connections are read briefly and answered
// only on /healthz (503 elsewhere), so a flood of idle clients cannot make
// the service look dead to its health checks. Counted in kHttpReservedFds.
constexpr int kOverflowSessions = 8;
constexpr std::chrono::seconds kOverflowReadTimeout{2};
constexpr std::chrono::milliseconds kAcceptBackoff{100};
constexpr std::chrono::seconds kFdLogInterval{60};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared, bool overflow)
      : stream_(std::move(socket)), shared_(std::move(shared)), config_(shared_->config), overflow_(overflow) {
    ++(overflow_ ? shared_->overflow : shared_->active);
  }
  ~Session() { --(overflow_ ? shared_->overflow : shared_->active); }

  void run() { read(); }

 private:
  void read() {
    parser_.emplace();
    ingest_ = shared_->ingest;
    if (ingest_ && ingest_->empty()) ingest_.reset();
    console_ = shared_->console;
    parser_->header_limit(static_cast<std::uint32_t>(config_->max_header_bytes));
    // Until the headers name the path, the largest body any path accepts;
    // each path's own limit is applied once they do (on_header).
    std::uint64_t limit = static_cast<std::uint64_t>(config_->max_body_bytes);
    if (ingest_) limit = std::max(limit, ingest_->max_batch_bytes());
    parser_->body_limit(limit);
    // One deadline for the whole request: a client that trickles bytes is
    // cut off at read_timeout however slowly it sends.
    stream_.expires_after(overflow_ ? std::min<std::chrono::steady_clock::duration>(config_->read_timeout,
                                                                                    kOverflowReadTimeout)
                                    : config_->read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    const std::string_view target(req.target().data(), req.target().size());
    if (overflow_) {
      if (target.substr(0, target.find('?')) != "/healthz") {
        auto res = error_response(bhttp::status::service_unavailable, req.version(),
                                  "too many connections; retry shortly");
        res.set(bhttp::field::retry_after, "1");
        return send(std::move(res), true);
      }
      ingest_.reset();
      console_.reset();
      parser_->body_limit(0);
      return read_body(&Session::on_read);
    }
    if (ingest_ && target.substr(0, target.find('?')) == kIngestPath) return on_ingest_header();
    // A console form (a mute's reason) may be larger than a GET's body.
    const bool form = console_ && req.method() == bhttp::verb::post && Console::serves(target.substr(0, target.find('?')));
    const auto max_body = std::max<std::uint64_t>(static_cast<std::uint64_t>(config_->max_body_bytes),
                                                  form ? kConsoleMaxFormBytes : 0);
    const auto length = parser_->content_length();
    if (length && *length > max_body) {
      return send(error_response(bhttp::status::payload_too_large, req.version(), "request body too large"), true);
    }
    parser_->body_limit(max_body);
    read_body(&Session::on_read);
  }

  void read_body(void (Session::*next)(beast::error_code, std::size_t)) {
    if (parser_->is_done()) return (this->*next)({}, 0);
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(next, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return close();
    }
    if (ec == bhttp::error::header_limit) {
      return send(error_response(bhttp::status::request_header_fields_too_large, 11, "request header too large"), true);
    }
    if (ec == bhttp::error::body_limit) {
      return send(error_response(bhttp::status::payload_too_large, 11, "request body too large"), true);
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      return send(error_response(bhttp::status::bad_request, 11, "malformed request"), true);
    }
    CLOG(debug) << "http: read failed: " << ec.message();
    close();
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    const std::string_view target(req.target().data(), req.target().size());
    if (console_ && Console::serves(target.substr(0, target.find('?')))) {
      beast::error_code ec2;
      const auto peer = stream_.socket().remote_endpoint(ec2);
      auto request = parser_->release();
      return console_->handle(std::move(request), ec2 ? std::string("?") : peer.address().to_string(),
                              stream_.get_executor(), [self = shared_from_this(), keep_alive](Response res) {
                                self->send(std::move(res), !keep_alive);
                              });
    }
    const auto snap = shared_->snapshot.load();
    auto res = handle_request(req, snap.get(), *config_);
    if (overflow_) return send(std::move(res), true);
    if (req.target().starts_with("/v1/")) {
      // Who read what: the token's configured name, never the token.
      const auto auth = req[bhttp::field::authorization];
      const auto token = authenticated_token(std::string_view(auth.data(), auth.size()), config_->tokens);
      const auto method = req.method_string();
      const auto target = req.target().substr(0, req.target().find('?'));
      CLOG(info) << fmt::format("http: {} {} by token {}: {}", std::string_view(method.data(), method.size()),
                                std::string_view(target.data(), target.size()),
                                token ? "'" + *token + "'" : std::string("(none)"), res.result_int());
    }
    send(std::move(res), !keep_alive);
  }

  // POST /v1/verifications: method, token, type and declared size are
  // checked on the headers, so a refused batch is never read.
  void on_ingest_header() {
    const auto& req = parser_->get();
    const unsigned v = req.version();
    if (req.method() != bhttp::verb::post) {
      auto res = error_response(bhttp::status::method_not_allowed, v, "only POST is supported on this path");
      res.set(bhttp::field::allow, "POST");
      return send(std::move(res), true);
    }
    const auto auth = req[bhttp::field::authorization];
    match_ = ingest_->authenticate(std::string_view(auth.data(), auth.size()));
    if (!match_) {
      return send(error_response(bhttp::status::unauthorized, v, "a receiver's bearer token is required"), true);
    }
    std::string type(req[bhttp::field::content_type]);
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    if (type != "application/json") {
      return send(error_response(bhttp::status::unsupported_media_type, v, "Content-Type must be application/json"),
                  true);
    }
    const auto limit = static_cast<std::uint64_t>(match_->route->settings.max_batch_bytes);
    const auto length = parser_->content_length();
    if (length && *length > limit) {
      return send(error_response(bhttp::status::payload_too_large, v,
                                 fmt::format("batch larger than {} bytes (max_batch_bytes); split it", limit)),
                  true);
    }
    parser_->body_limit(limit);
    const auto expect = req[bhttp::field::expect];
    if (!parser_->is_done() && beast::iequals(expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                               [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (ec) return self->close();
                                 self->read_body(&Session::on_ingest_body);
                               });
    }
    read_body(&Session::on_ingest_body);
  }

  void on_ingest_body(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    ingest_->handle(req, *match_, stream_.get_executor(), [self = shared_from_this(), keep_alive](Response res) {
      self->send(std::move(res), !keep_alive);
    });
  }

  void send(Response res, bool close_after) {
    res.keep_alive(!close_after);
    response_ = std::make_shared<Response>(std::move(res));
    stream_.expires_after(kWriteTimeout);
    bhttp::async_write(stream_, *response_,
                       [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                         self->response_.reset();
                         if (ec) return self->close();
                         if (close_after) return self->linger_close();
                         self->read();
                       });
  }

  // After an answer that ends the connection: stop sending, then read and
  // discard for a moment, so unread request bytes do not turn the close into
  // a reset that destroys the answer before the client reads it.
  void linger_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds{2});
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{8192};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Response> response_;
  std::array<char, 4096> drain_{};
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<const HttpConfig> config_;  // the settings this connection started with
  std::shared_ptr<Ingest> ingest_;            // the ingest routes of the current request
  std::shared_ptr<Console> console_;          // the console, if served, for the current request
  std::optional<Ingest::Match> match_;        // its receiver, once authenticated
  bool overflow_;                             // over max_connections: /healthz only, then close
};

}  // namespace

Server::Server(asio::io_context& io, const HttpConfig& cfg)
    : io_(io), acceptor_(io), backoff_(io), shared_(std::make_shared<Shared>()) {
  shared_->config = std::make_shared<const HttpConfig>(cfg);
}

Server::~Server() { stop(); }

void Server::start() {
  const auto& cfg = *shared_->config;
  beast::error_code ec;
  const auto addr = asio::ip::make_address(cfg.host, ec);
  if (ec) throw std::runtime_error(fmt::format("http.listen: '{}' is not an IP address", cfg.host));
  const tcp::endpoint ep(addr, cfg.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("http: cannot listen on {}: {}", cfg.listen, ec.message()));
  }
  const auto bound = acceptor_.local_endpoint();
  CLOG(info) << fmt::format("http: listening on {}:{}{}", bound.address().to_string(), bound.port(),
                            cfg.tokens.empty() ? " (no tokens configured: /v1/ refuses every request)" : "");
  accept();
}

void Server::stop() {
  beast::error_code ignored;
  if (acceptor_.is_open()) acceptor_.close(ignored);
  backoff_.cancel();
  // Finish the batch being written; later ones are dropped unanswered (the receiver retries).
  if (shared_->ingest) shared_->ingest->stop();
  if (shared_->console) shared_->console->stop();
}

void Server::set_ingest(std::shared_ptr<Ingest> ingest) {
  shared_->ingest = std::move(ingest);
}

void Server::set_console(std::shared_ptr<Console> console) { shared_->console = std::move(console); }

void Server::publish(std::shared_ptr<const Snapshot> snap) { shared_->snapshot.store(std::move(snap)); }

void Server::set_config(const HttpConfig& cfg) {
  auto next = std::make_shared<HttpConfig>(cfg);
  // The socket stays where it is until a restart.
  next->listen = shared_->config->listen;
  next->host = shared_->config->host;
  next->port = shared_->config->port;
  shared_->config = std::move(next);
}

std::int64_t Server::accept_backoffs() const { return shared_->accept_backoffs.load(); }

tcp::endpoint Server::local_endpoint() const { return acceptor_.local_endpoint(); }

void Server::accept() {
  acceptor_.async_accept(io_, [this, shared = shared_](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
        ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
      // The connection stays in the backlog; accepting again at once would
      // fail the same way and spin. Wait, and say so (once per interval).
      ++shared->fd_exhausted;
      ++shared->accept_backoffs;
      const auto now = std::chrono::steady_clock::now();
      if (shared->fd_logged == std::chrono::steady_clock::time_point{} || now - shared->fd_logged >= kFdLogInterval) {
        CLOG(warning) << fmt::format("http: cannot accept connections: {} ({} time(s) in the last {} s; {} open); "
                                     "raise LimitNOFILE= or lower max_connections",
                                     ec.message(), shared->fd_exhausted, kFdLogInterval.count(), shared->active);
        shared->fd_exhausted = 0;
        shared->fd_logged = now;
      }
      backoff_.expires_after(kAcceptBackoff);
      backoff_.async_wait([this](beast::error_code e) {
        if (!e && acceptor_.is_open()) accept();
      });
      return;
    }
    if (!ec) {
      if (shared->active < shared->config->max_connections) {
        std::make_shared<Session>(std::move(socket), shared, false)->run();
      } else if (shared->overflow < kOverflowSessions) {
        std::make_shared<Session>(std::move(socket), shared, true)->run();
      } else {
        // Over every limit: refuse at once rather than queue (bounded memory).
        beast::error_code ignored;
        socket.close(ignored);
        CLOG(debug) << "http: connection refused, " << shared->active << " already open";
      }
    }
    accept();
  });
}

}  // namespace complyd::http
