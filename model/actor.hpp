// SPDX-License-Identifier: Apache-2.0
// Who did what the history records: an operator at the command line (their
// OS account), an HTTP client (the configured name of its token), a web
// console user (the configured name they logged in as), or complyd itself
// (a cycle). Never a name a caller chose: the CLI takes the OS's,
// the HTTP server the name of the token it verified.
#pragma once

#include <string>
#include <utility>

namespace complyd {

struct Actor {
  enum class Kind { os_user, http_token, console_user, complyd };
  Kind kind = Kind::complyd;
  std::string name;

  static Actor os_user(std::string name) { return {Kind::os_user, std::move(name)}; }
  static Actor http_token(std::string name) { return {Kind::http_token, std::move(name)}; }
  static Actor console_user(std::string name) { return {Kind::console_user, std::move(name)}; }

  // As the history's `actor` column and `muted_by` keep it: "alice",
  // "alice (via sudo)", "token:ci-ingest", "console:alice", "complyd".
  std::string label() const {
    switch (kind) {
      case Kind::os_user: return name;
      case Kind::http_token: return "token:" + name;
      case Kind::console_user: return "console:" + name;
      case Kind::complyd: break;
    }
    return "complyd";
  }
};

}  // namespace complyd
