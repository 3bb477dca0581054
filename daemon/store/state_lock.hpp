// SPDX-License-Identifier: Apache-2.0
// The daemon's claim on its state database: an flock on `<state_db>.lock`,
// held while `complyd run` lives, so that `complyd audit --now --state FILE`
// can tell a database a daemon writes from one of its own.
#pragma once

#include <filesystem>

namespace complyd {

class StateLock {
 public:
  // Throws StateError when another process holds it.
  explicit StateLock(const std::filesystem::path& state_db);
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  int fd_ = -1;
};

// Whether a daemon holds the lock of `state_db`. Creates nothing.
bool state_in_use(const std::filesystem::path& state_db);

std::filesystem::path state_lock_path(const std::filesystem::path& state_db);

}  // namespace complyd
