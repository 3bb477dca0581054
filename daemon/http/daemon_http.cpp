// The daemon's HTTP hooks, kept out of daemon/app/daemon.cpp.
#include <boost/asio/post.hpp>

#include "daemon/app/daemon.hpp"
#include "daemon/log/log.hpp"

namespace complyd {

void Daemon::start_http() {
  if (config_->http.listen.empty()) return;
  http_ = std::make_unique<http::Server>(io_, config_->http);
  try {
    http_->start();
  } catch (const std::exception& e) {
    // Auditing goes on without the endpoint; the error says why.
    CLOG(error) << e.what() << "; continuing without the HTTP endpoint";
    http_.reset();
    return;
  }
  // The first snapshot before the first cycle, so /v1/ serves the stored state.
  boost::asio::post(worker_, [this] { publish_snapshot(); });
}

void Daemon::publish_snapshot() {
  if (!http_ || stopping_) return;
  try {
    http_->publish(http::build_snapshot(*store_, clock_()));
  } catch (const std::exception& e) {
    CLOG(error) << "http: snapshot not refreshed (the previous one is served): " << e.what();
  }
}

}  // namespace complyd
