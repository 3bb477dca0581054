// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/notifier.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <sstream>
#include <unistd.h>

#include "daemon/log/log.hpp"
#include "daemon/notify/outbox.hpp"
#include "daemon/notify/smtp.hpp"
#include "daemon/util/crypto.hpp"

namespace complyd::notify {

namespace {

std::vector<std::string> split_recipients(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// host:pid:random, unique per delivery run: names the lease holder in the
// outbox (and in `notify outbox`), never reused by a restarted process.
std::string delivery_owner() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  const std::string r = random_bytes(6);
  std::string hex;
  for (unsigned char c : r) hex += fmt::format("{:02x}", c);
  return fmt::format("{}:{}:{}", host, getpid(), hex);
}

}  // namespace

DeliveryReport deliver_due(const Config& config, sql::Db& db, const Clock& clock,
                           const std::function<bool()>& keep_going) {
  DeliveryReport rep;
  if (config.smtp.url.empty()) return rep;
  rep.expired = expire_messages(db, clock());
  if (rep.expired > 0) {
    CLOG(error) << fmt::format("{} e-mail(s) undelivered after smtp.dead_after ({}) are now dead; see 'complyd "
                               "notify outbox --status dead'",
                               rep.expired, format_duration(config.smtp.dead_after));
  }
  // Each message is claimed before it is sent, so concurrent deliverers
  // (the daemon, `notify send`, `report --email`) send it once.
  const std::string owner = delivery_owner();
  const Duration lease = delivery_lease(config.smtp);
  const Clock wall = system_clock();
  std::unique_ptr<SmtpSession> session;
  for (;;) {
    if (keep_going && !keep_going()) break;
    auto claimed = claim_message(db, clock(), owner, wall(), lease);
    if (!claimed) break;
    const auto& m = *claimed;
    if (!session) session = std::make_unique<SmtpSession>(config.smtp);
    const auto res = session->send(split_recipients(m.recipients), m.message);
    if (res.ok) {
      // The server has it: from here until this commit is the one window in
      // which a crash makes the message go out again (after its lease).
      mark_sent(db, m.id, clock(), res.reply);
      ++rep.sent;
      continue;
    }
    mark_failed(db, m.id, clock(), res.reply, config.smtp);
    ++rep.failed;
    CLOG(warning) << fmt::format("e-mail {} ({}) to {} not delivered: {}", m.id, m.kind, m.recipients, res.reply);
    if (res.connection_failed) {
      rep.error = res.reply;
      break;  // the server is unreachable: the rest waits for the next run
    }
  }
  rep.pruned = prune_sent(db, clock(), config.smtp.sent_retention);
  {
    sql::Stmt s(db, "SELECT count(*) FROM outbox WHERE status IN ('pending','failed')");
    s.step();
    rep.remaining = static_cast<int>(s.i64(0));
  }
  if (rep.sent > 0 || rep.failed > 0) {
    CLOG(info) << fmt::format("e-mail: {} sent, {} failed, {} waiting", rep.sent, rep.failed, rep.remaining);
  }
  return rep;
}

DeliveryLoop::DeliveryLoop(boost::asio::io_context& io, boost::asio::thread_pool& worker, StateStore& store,
                           Clock clock, const std::atomic<bool>& stopping)
    : io_(io), worker_(worker), store_(store), clock_(std::move(clock)), stopping_(stopping), timer_(io) {}

void DeliveryLoop::start(std::shared_ptr<const Config> config) {
  config_ = std::move(config);
  arm(config_->smtp.poll_interval);
}

void DeliveryLoop::arm(std::chrono::seconds delay) {
  if (stopping_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    kick();
    arm(config_->smtp.poll_interval);
  });
}

void DeliveryLoop::kick() {
  if (stopping_ || busy_ || config_->smtp.url.empty()) return;
  busy_ = true;
  auto config = config_;
  boost::asio::post(worker_, [this, config] {
    try {
      deliver_due(*config, store_.db(), clock_, [this] { return !stopping_.load(); });
    } catch (const std::exception& e) {
      CLOG(error) << "e-mail delivery failed: " << e.what();
    }
    boost::asio::post(io_, [this] { busy_ = false; });
  });
}

void DeliveryLoop::stop() { timer_.cancel(); }

}  // namespace complyd::notify
