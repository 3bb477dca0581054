// SPDX-License-Identifier: Apache-2.0
// The outcome of the daemon's last reload, in a small file beside the state
// database, so that `complyd reload` (the unit's ExecReload=) waits for the
// reload to finish and exits non-zero when the new file was refused:
// `systemctl reload` then reports the refusal instead of a silent success.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace complyd {

struct ReloadStatus {
  pid_t pid = 0;                // the daemon that wrote it
  std::uint64_t generation = 0;  // its reloads so far (1 for the first)
  bool ok = false;
  std::string message;  // redacted: problems with file:line:column, or what took effect
};

std::filesystem::path reload_status_path(const std::filesystem::path& state_db);
// Written whole (a temporary file renamed over the old one); false on failure.
bool write_reload_status(const std::filesystem::path& file, const ReloadStatus& s);
std::optional<ReloadStatus> read_reload_status(const std::filesystem::path& file);

}  // namespace complyd
