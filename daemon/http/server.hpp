// SPDX-License-Identifier: Apache-2.0
// The HTTP endpoint on the daemon's Asio loop (Boost.Beast): /healthz,
// /metrics, /v1/findings, /v1/report, and POST /v1/verifications when an
// ingest source is configured, and the web console at / when enabled. Sessions read one request at a time
// (one outstanding read and write per stream) under explicit limits; the
// handlers read the latest immutable snapshot, so a slow client never
// touches the database or blocks a cycle.
#pragma once

#include "daemon/util/prelude.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "daemon/config/config.hpp"
#include "daemon/http/snapshot.hpp"

namespace complyd::http {

struct Shared;
class Ingest;
class Console;

class Server {
 public:
  Server(boost::asio::io_context& io, const HttpConfig& cfg);
  ~Server();
  // Binds and listens; throws std::runtime_error with a clear message.
  void start();
  void stop();
  // Any thread: the worker publishes after each cycle.
  void publish(std::shared_ptr<const Snapshot> snap);
  // Loop thread (SIGHUP): tokens and limits; `listen` needs a restart.
  void set_config(const HttpConfig& cfg);
  // Loop thread: POST /v1/verifications (daemon/http/ingest.hpp); null or
  // empty: no ingest source, the path is not served.
  void set_ingest(std::shared_ptr<Ingest> ingest);
  // Loop thread: the web console (daemon/http/console.hpp) at every path
  // but /healthz, /metrics and /v1/; null: not served.
  void set_console(std::shared_ptr<Console> console);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Any thread: how often accept() found no file descriptor and waited.
  std::int64_t accept_backoffs() const;

 private:
  void accept();
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;  // out of file descriptors: accept again after it
  std::shared_ptr<Shared> shared_;
};

}  // namespace complyd::http
