// SPDX-License-Identifier: Apache-2.0
// The web console at / ([http] console = true): server-rendered pages over
// the state database and the operator actions, for [[http.users]].
//
// All of it runs on one thread of its own, off the daemon's loop and off the
// cycle's worker: the pages read through a read-only connection (WAL: a
// cycle's write never waits for them), and an action opens its own writer
// through the same code as `complyd findings` (apply_operator_action), a
// transaction of milliseconds. Sessions, CSRF tokens and the login limits
// live on that thread too, so nothing needs a lock.
#pragma once

#include "daemon/util/prelude.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/http/handlers.hpp"
#include "model/time.hpp"

namespace complyd::http {

// A rule of a mutelist, as the Mutes page lists it. The seam for the TOML
// mutelist: whatever loads one supplies Console::Options::mutelist.
struct MutelistRule {
  std::string match;   // what it mutes, as the operator wrote it
  std::string owner;   // who is responsible for it
  std::string reason;
  std::optional<Time> until;
  std::string source;  // where it is defined (file:line)
};

class Console {
 public:
  struct Options {
    std::filesystem::path state_db;
    Clock clock = system_clock();  // actions are stamped with it
    // Null, or nothing returned: no mutelist is configured (the Mutes page
    // says so). Called on the console's thread.
    std::function<std::optional<std::vector<MutelistRule>>()> mutelist;
  };
  Console(Options opts, const HttpConfig& cfg);
  ~Console();

  // Whether `path` is the console's (every path but /healthz, /metrics, /v1/).
  static bool serves(std::string_view path);
  // Loop thread: the users, roles and limits after a reload.
  void set_config(const HttpConfig& cfg);
  // Answers on the console's thread, then `done` on `ex`.
  void handle(Request req, std::string remote, boost::asio::any_io_executor ex, std::function<void(Response)> done);
  // Waits for the request in progress; drops queued ones.
  void stop();

  struct State;  // the console thread's own (sessions, connections)

 private:
  std::unique_ptr<State> state_;  // used on pool_ only, after construction
  std::shared_ptr<const HttpConfig> config_;  // loop thread; each request carries its own copy
  boost::asio::thread_pool pool_{1};
};

// The body larger console forms may have (a mute's reason): GET stays at
// http.max_body_bytes.
inline constexpr std::size_t kConsoleMaxFormBytes = 16 * 1024;

}  // namespace complyd::http
