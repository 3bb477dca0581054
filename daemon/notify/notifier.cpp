// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/notifier.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <sstream>
#include <unistd.h>

#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/notify/channels.hpp"
#include "daemon/notify/http_post.hpp"
#include "daemon/notify/outbox.hpp"
#include "daemon/sources/http_client.hpp"
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

// Where an HTTP channel's message goes, its headers and its policy. Secrets
// are read here, at the edge, for each request: never stored or logged.
struct HttpTarget {
  std::string url;
  std::vector<std::string> headers;
  const HttpDeliveryConfig* delivery = nullptr;
};

std::optional<HttpTarget> http_target(const Config& config, const OutboxRow& m, Time wall_now) {
  HttpTarget t;
  t.headers = {"Content-Type: application/json", fmt::format("{}: {}", kDeliveryHeader, m.message_id)};
  if (m.kind == kAlertmanagerKind) {
    for (const auto& a : config.notify.alertmanager) {
      if (a.name != m.recipients) continue;
      std::string base = a.url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      t.url = base + "/api/v2/alerts";
      t.delivery = &a.delivery;
      if (!a.bearer_token_file.empty()) {
        t.headers.push_back("Authorization: Bearer " + read_secret_file(a.bearer_token_file, a.name));
      }
      return t;
    }
  }
  if (m.kind == kWebhookKind) {
    for (const auto& w : config.notify.webhook) {
      if (w.name != m.recipients) continue;
      t.url = w.url_file.empty() ? w.url : read_secret_file(w.url_file, w.name);
      t.delivery = &w.delivery;
      if (!w.secret_file.empty()) {
        // Signed now, over this attempt's timestamp: receivers reject stale ones.
        const std::int64_t ts = to_unix(wall_now);
        t.headers.push_back(fmt::format("{}: {}", kTimestampHeader, ts));
        t.headers.push_back(fmt::format("{}: {}", kSignatureHeader,
                                        webhook_signature(read_secret_file(w.secret_file, w.name), ts, m.message)));
      }
      return t;
    }
  }
  return std::nullopt;
}

}  // namespace

DeliveryReport deliver_due(const Config& config, sql::Db& db, const Clock& clock,
                           const std::function<bool()>& keep_going) {
  DeliveryReport rep;
  if (config.smtp.url.empty() && !config.notify.any()) return rep;
  rep.expired = expire_messages(db, clock());
  if (rep.expired > 0) {
    CLOG(error) << fmt::format("{} notification(s) undelivered after their dead_after are now dead; see 'complyd "
                               "notify outbox --status dead'",
                               rep.expired);
  }
  // Each message is claimed before it is sent, so concurrent deliverers
  // (the daemon, `notify send`, `report --email`) send it once.
  const std::string owner = delivery_owner();
  const Duration lease = delivery_lease(config);
  const Clock wall = system_clock();
  std::unique_ptr<SmtpSession> session;
  ClaimFilter filter;
  filter.email = !config.smtp.url.empty();
  for (;;) {
    if (keep_going && !keep_going()) break;
    auto claimed = claim_message(db, clock(), owner, wall(), lease, filter);
    if (!claimed) break;
    const auto& m = *claimed;
    if (is_http_kind(m.kind)) {
      const std::string channel = m.kind + "/" + m.recipients;
      std::optional<HttpTarget> target;
      std::string problem;
      try {
        target = http_target(config, m, wall());
        if (!target) problem = fmt::format("no [[notify.{}]] named '{}' is configured", m.kind, m.recipients);
      } catch (const std::exception& e) {
        problem = e.what();  // an unreadable secret file: retried once it is fixed
      }
      HttpPostResult res;
      if (target) {
        res = http_post(target->url, target->headers, m.message, *target->delivery);
      } else {
        res.reply = problem;
      }
      if (res.outcome == HttpPostResult::Outcome::sent) {
        mark_sent(db, m.id, clock(), res.reply);
        ++rep.sent;
        continue;
      }
      ++rep.failed;
      if (res.outcome == HttpPostResult::Outcome::dead) {
        mark_dead(db, m.id, res.reply + " (refused: not retried)");
        CLOG(error) << fmt::format("{} {} ({}) refused by the receiver and dead: {}; see 'complyd notify outbox "
                                   "--status dead'",
                                   m.kind, m.id, m.recipients, res.reply);
        continue;
      }
      const HttpDeliveryConfig policy = target ? *target->delivery : HttpDeliveryConfig{};
      mark_failed(db, m.id, clock(), res.reply, policy.retry_initial, policy.retry_max, res.retry_after);
      CLOG(warning) << fmt::format("{} {} ({}) not delivered: {}", m.kind, m.id, m.recipients, redact(res.reply));
      // The channel waits for its next run; its later messages keep their order.
      filter.skip.push_back(channel);
      rep.channel_errors.push_back(fmt::format("{}: {}", channel, redact(res.reply)));
      continue;
    }
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
      if (rep.error.empty()) rep.error = res.reply;
      filter.email = false;  // the server is unreachable: e-mail waits for the next run
      session.reset();
    }
  }
  rep.pruned = prune_sent(db, clock(), config.smtp.sent_retention);
  {
    sql::Stmt s(db, "SELECT count(*) FROM outbox WHERE status IN ('pending','failed')");
    s.step();
    rep.remaining = static_cast<int>(s.i64(0));
  }
  if (rep.sent > 0 || rep.failed > 0) {
    CLOG(info) << fmt::format("notifications: {} sent, {} failed, {} waiting", rep.sent, rep.failed, rep.remaining);
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
  if (stopping_ || busy_ || (config_->smtp.url.empty() && !config_->notify.any())) return;
  busy_ = true;
  auto config = config_;
  boost::asio::post(worker_, [this, config] {
    try {
      deliver_due(*config, store_.db(), clock_, [this] { return !stopping_.load(); });
    } catch (const std::exception& e) {
      CLOG(error) << "notification delivery failed: " << e.what();
    }
    boost::asio::post(io_, [this] { busy_ = false; });
  });
}

void DeliveryLoop::stop() { timer_.cancel(); }

}  // namespace complyd::notify
