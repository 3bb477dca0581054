// SPDX-License-Identifier: Apache-2.0
// Every file complyd reads is a regular file of bounded size: a FIFO would
// hang a cycle, /dev/zero would fill memory, and a directory or socket is an
// operator's mistake that deserves a clear message, not a crash.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace complyd {

// Limits by kind of file (docs/security.md, "Bounded inputs").
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;       // complyd.toml, the mutelist
inline constexpr std::size_t kMaxSecretFileBytes = 64 << 10;  // *_file: tokens, keys, passwords
inline constexpr std::size_t kMaxTemplateBytes = 256 << 10;   // e-mail templates

// The contents of `path`, or nullopt with `error` saying why in words an
// operator acts on ("is a FIFO, not a regular file", "is 3 MiB; the limit is
// 1 MiB"). Opens without blocking, so a FIFO is refused rather than waited on.
std::optional<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes,
                                             std::string& error);

// For files handed to a library that opens them itself (SQLite): an existing
// path must be a regular file. Empty when fine or absent; else why not.
std::string not_a_regular_file(const std::filesystem::path& path);

}  // namespace complyd
