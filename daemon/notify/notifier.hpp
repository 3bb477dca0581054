// SPDX-License-Identifier: Apache-2.0
// Delivers due outbox messages: one SMTP connection per batch, each message
// claimed (leased) before it is sent and marked sent in its own transaction
// right after the server's 250. A crash between that 250 and the commit
// resends that one message once its lease expires (docs/notifications.md).
#pragma once

#include "daemon/util/prelude.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>

#include "daemon/config/config.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"

namespace complyd::notify {

struct DeliveryReport {
  int sent = 0, failed = 0, expired = 0, remaining = 0, pruned = 0;
  std::string error;  // the connection-level error that stopped the batch, redacted
  std::vector<std::string> channel_errors;  // "kind/name: reply" of each HTTP channel that failed this run
};

// Claims and sends due messages one at a time on one connection, until none is due, the server fails, or keep_going() says stop;
// then prunes the bodies of sent messages older than smtp.sent_retention.
// Uses the caller's (the single writer) connection; any number of processes
// may deliver from one state database at once (each message is leased).
DeliveryReport deliver_due(const Config& config, sql::Db& db, const Clock& clock,
                           const std::function<bool()>& keep_going = {});

// The daemon's delivery: a timer on the Asio loop posts delivery runs to the
// cycle worker pool, so the single writer connection is never used by two
// threads at once. Every method is called on the loop thread.
class DeliveryLoop {
 public:
  DeliveryLoop(boost::asio::io_context& io, boost::asio::thread_pool& worker, StateStore& store, Clock clock,
               const std::atomic<bool>& stopping);
  void start(std::shared_ptr<const Config> config);
  void set_config(std::shared_ptr<const Config> config) { config_ = std::move(config); }
  void kick();  // after a cycle committed: deliver what it enqueued now
  void stop();

 private:
  void arm(std::chrono::seconds delay);
  boost::asio::io_context& io_;
  boost::asio::thread_pool& worker_;
  StateStore& store_;
  Clock clock_;
  const std::atomic<bool>& stopping_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<const Config> config_;
  bool busy_ = false;
};

}  // namespace complyd::notify
