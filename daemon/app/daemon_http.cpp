// SPDX-License-Identifier: Apache-2.0
// The daemon's HTTP hooks, kept out of daemon/app/daemon.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <mutex>
#include <optional>

#include "daemon/app/daemon.hpp"
#include "daemon/http/console.hpp"
#include "daemon/http/ingest.hpp"
#include "daemon/log/log.hpp"

namespace complyd {

namespace {
bool has_ingest_source(const Config& c) {
  return std::any_of(c.sources.begin(), c.sources.end(),
                     [](const SourceConfig& s) { return s.type == "ingest" && s.common.enabled; });
}
}  // namespace

void Daemon::start_http() {
  if (config_->http.listen.empty()) {
    if (has_ingest_source(*config_)) {
      CLOG(warning) << "an ingest source is configured but [http] listen is \"\": receivers cannot push, and the "
                       "source fails once stale_after passes";
    }
    return;
  }
  http_ = std::make_unique<http::Server>(io_, config_->http);
  try {
    http_->start();
  } catch (const std::exception& e) {
    // Auditing goes on without the endpoint; the error says why.
    CLOG(error) << e.what() << "; continuing without the HTTP endpoint";
    http_.reset();
    return;
  }
  reload_http();
  // The first snapshot before the first cycle, so /v1/ serves the stored state.
  // Read on the loop thread, which owns config_.
  boost::asio::post(worker_, [this, report_max = config_->http.report_max_customers,
                              owner = config_->report.default_owner] { publish_snapshot(report_max, owner); });
}

void Daemon::publish_snapshot(std::int64_t report_max_customers, const std::string& default_owner) {
  if (!http_ || stopping_) return;
  try {
    http_->publish(http::build_snapshot(*store_, clock_(), report_max_customers, default_owner, durations_));
  } catch (const std::exception& e) {
    CLOG(error) << "http: snapshot not refreshed (the previous one is served): " << e.what();
  }
}

}  // namespace complyd

namespace complyd {

struct Daemon::ConsoleMutelist {
  std::mutex mutex;
  std::optional<std::vector<http::MutelistRule>> rules;
};

// Loop thread: limits, tokens and the ingest routes (stores kept per path).
void Daemon::reload_http() {
  if (!http_) return;
  http_->set_config(config_->http);
  auto ingest = http::Ingest::from_config(*config_, clock_, ingest_.get());
  if (!ingest->empty()) {
    CLOG(info) << "http: POST " << http::kIngestPath << " accepts batches for the ingest source(s)";
  }
  http_->set_ingest(ingest);
  ingest_ = std::move(ingest);
  // The console: its users and limits follow the reload; turned off, it is
  // no longer served (its sessions end with it).
  if (config_->http.console) {
    {
      std::optional<std::vector<http::MutelistRule>> rules;
      if (!config_->mutelist_path.empty()) {
        rules.emplace();
        for (const auto& r : config_->mutelist) {
          rules->push_back({fmt::format("check {}, customer {}, subject {}", r.check, r.customer, r.subject), r.owner,
                            r.reason, r.expires, fmt::format("{}: rule {}", config_->mutelist_path.string(), r.id)});
        }
      }
      if (!console_mutelist_) console_mutelist_ = std::make_shared<ConsoleMutelist>();
      std::lock_guard lock(console_mutelist_->mutex);
      console_mutelist_->rules = std::move(rules);
    }
    if (!console_) {
      auto mutelist = [view = console_mutelist_]() {
        std::lock_guard lock(view->mutex);
        return view->rules;
      };
      console_ = std::make_shared<http::Console>(http::Console::Options{config_->state_db, clock_, mutelist},
                                                 config_->http);
      CLOG(info) << "http: the web console is served at / for " << config_->http.users.size() << " user(s)";
    }
    console_->set_config(config_->http);
  } else if (console_) {
    console_.reset();
  }
  http_->set_console(console_);
}

}  // namespace complyd
