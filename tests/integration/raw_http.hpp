// SPDX-License-Identifier: Apache-2.0
// Raw HTTP/1.1 over a loopback socket: the tests see exactly the bytes the
// daemon's endpoint sends (status line, headers, limits), with no client
// library smoothing anything over.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace complyd::itest {

// A connected socket with a 15 s receive timeout, or -1.
inline int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{15, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Everything until the peer closes (or the receive timeout).
inline std::string read_all(int fd) {
  std::string out;
  char buf[16384];
  for (;;) {
    const auto n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// One raw request over a fresh connection ("Connection: close"); the whole response.
inline std::string raw(int port, const std::string& request) {
  const int fd = connect_to(port);
  if (fd < 0) return "connect failed";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  auto out = read_all(fd);
  close(fd);
  return out;
}

}  // namespace complyd::itest
