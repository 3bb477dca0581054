// SPDX-License-Identifier: Apache-2.0
// Out of file descriptors, the HTTP server waits before accepting again
// instead of re-arming at once and spinning on EMFILE (issue 19 §6), and
// serves again once descriptors are free.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <array>
#include <boost/asio/write.hpp>
#include <chrono>
#include <thread>

#include "daemon/http/server.hpp"
#include "tests/wait_until.hpp"

extern char** environ;

namespace complyd {
namespace {

using namespace std::chrono_literals;

int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n - 3;  // ".", ".." and the directory itself
}

// Restores the soft limit whatever the test's outcome.
struct FdLimit {
  rlimit saved{};
  explicit FdLimit(rlim_t soft) {
    getrlimit(RLIMIT_NOFILE, &saved);
    rlimit low = saved;
    low.rlim_cur = soft;
    setrlimit(RLIMIT_NOFILE, &low);
  }
  ~FdLimit() { setrlimit(RLIMIT_NOFILE, &saved); }
};

// 60 idle clients in another process: the kernel completes their handshakes
// into the listen backlog whether or not the server can accept them.
pid_t idle_clients(int port) {
  // The soft limit the test lowered is inherited; the client raises its own back.
  const std::string code = "import resource, socket, time\n"
                           "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
                           "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
                           "ss = [socket.create_connection(('127.0.0.1', " +
                           std::to_string(port) + ")) for _ in range(60)]\ntime.sleep(120)\n";
  std::vector<std::string> args{"/usr/bin/python3", "-c", code};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

TEST(HttpFdLimit, OutOfDescriptorsTheServerBacksOffAndRecovers) {
  boost::asio::io_context io;
  HttpConfig cfg;
  cfg.listen = "127.0.0.1:0";
  cfg.port = 0;
  cfg.max_connections = 1000;  // more than the limit below can hold: what the config check refuses
  cfg.read_timeout = Duration{60};
  http::Server server(io, cfg);
  server.start();
  const int port = server.local_endpoint().port();
  // Stops the loop however the test ends (a failed ASSERT returns early).
  struct Loop {
    boost::asio::io_context& io;
    http::Server& server;
    std::thread thread{[this] { io.run(); }};
    ~Loop() {
      server.stop();
      io.stop();
      thread.join();
    }
  } loop{io, server};

  struct Clients {
    pid_t pid = -1;
    void stop() {
      if (pid > 0) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
      pid = -1;
    }
    ~Clients() { stop(); }
  } clients;
  {
    FdLimit limit(static_cast<rlim_t>(open_fds() + 16));
    clients.pid = idle_clients(port);
    ASSERT_GT(clients.pid, 0);
    ASSERT_TRUE(wait_until([&] { return server.accept_backoffs() >= 1; }, 20s)) << "never ran out of descriptors";
    // Paced, not spinning: with a 100 ms pause between tries, ten backoffs
    // take about a second. Re-arming at once would count millions.
    const auto t0 = std::chrono::steady_clock::now();
    const auto n0 = server.accept_backoffs();
    ASSERT_TRUE(wait_until([&] { return server.accept_backoffs() >= n0 + 5; }, 20s));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 400ms);
    EXPECT_LT(server.accept_backoffs(), n0 + 50);
  }
  clients.stop();
  // Descriptors free again: a request is answered.
  boost::asio::ip::tcp::socket probe(io);
  probe.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  boost::asio::write(probe, boost::asio::buffer(request));
  std::string answer;
  boost::system::error_code ec;
  std::array<char, 4096> buf{};
  while (!ec) answer.append(buf.data(), probe.read_some(boost::asio::buffer(buf), ec));
  EXPECT_EQ(answer.rfind("HTTP/1.1 ", 0), 0u) << answer;
}

}  // namespace
}  // namespace complyd
