// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/identity.hpp"

#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace complyd {

namespace {

std::string user_name(uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return pw.pw_name;
  return "uid " + std::to_string(uid);  // an account without a passwd entry (e.g. a container's)
}

}  // namespace

Actor os_actor() {
  const uid_t uid = ::getuid();
  if (uid == 0) {
    // Only sudo makes root with SUDO_UID set, and only root can be told a
    // false one: whoever can already act as root gains nothing by it, and
    // nobody else can make their actions look like another user's.
    if (const char* v = std::getenv("SUDO_UID"); v != nullptr && *v != '\0') {
      const std::string_view s(v);
      uid_t invoker = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), invoker);
      if (ec == std::errc{} && end == s.data() + s.size() && invoker != 0) {
        return Actor::os_user(user_name(invoker) + " (via sudo)");
      }
    }
  }
  return Actor::os_user(user_name(uid));
}

}  // namespace complyd
