// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/bounded_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace complyd {
namespace {

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

std::string size_text(std::size_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return fmt::format("{} MiB", n >> 20);
  if (n >= (1u << 10) && n % (1u << 10) == 0) return fmt::format("{} KiB", n >> 10);
  return fmt::format("{} bytes", n);
}

struct Fd {
  int fd;
  ~Fd() { ::close(fd); }
};

}  // namespace

std::optional<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes,
                                             std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    error = fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno));
    return std::nullopt;
  }
  Fd guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno));
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = fmt::format("'{}' is {}, not a regular file", path.string(), kind_of(st.st_mode));
    return std::nullopt;
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    error = fmt::format("'{}' is larger than the limit of {}", path.string(), size_text(max_bytes));
    return std::nullopt;
  }
  // Read to the limit plus one byte: a file that grew since fstat is refused too.
  std::string out;
  out.resize(max_bytes + 1);
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno));
      return std::nullopt;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) {
    error = fmt::format("'{}' is larger than the limit of {}", path.string(), size_text(max_bytes));
    return std::nullopt;
  }
  out.resize(got);
  return out;
}

std::string not_a_regular_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  if (S_ISREG(st.st_mode)) return {};
  return fmt::format("'{}' is {}, not a regular file", path.string(), kind_of(st.st_mode));
}

}  // namespace complyd
