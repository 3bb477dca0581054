// SPDX-License-Identifier: Apache-2.0
#include "daemon/store/state_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/store/state_store.hpp"

namespace complyd {

std::filesystem::path state_lock_path(const std::filesystem::path& state_db) {
  return state_db.string() + ".lock";
}

StateLock::StateLock(const std::filesystem::path& state_db) {
  const auto path = state_lock_path(state_db);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw StateError(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw StateError(fmt::format("{} is in use by another complyd run (its lock {} is held)", state_db.string(),
                                 path.string()));
  }
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

bool state_in_use(const std::filesystem::path& state_db) {
  const int fd = ::open(state_lock_path(state_db).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no daemon ever ran on it
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

}  // namespace complyd
