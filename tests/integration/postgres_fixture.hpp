// SPDX-License-Identifier: Apache-2.0
// A real PostgreSQL server for the sql source's tests: initdb into a temp
// directory, started on a free 127.0.0.1 port with its socket in that
// directory, stopped (pg_ctl stop -m fast) and removed in the destructor.
// As root the server runs as user postgres (initdb refuses root); otherwise
// as the current user. Local (socket) connections are trusted for setup;
// TCP connections need a SCRAM password, so password_file is exercised.
#pragma once

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "harness.hpp"
#include "ports.hpp"

namespace complyd::itest {

class Postgres {
 public:
  // Empty when usable, else why not (the binaries are absent).
  static std::string bin_dir() {
    const char* env = std::getenv("COMPLYD_PG_BINDIR");
    std::vector<fs::path> candidates;
    if (env != nullptr) candidates.emplace_back(env);
    candidates.emplace_back("/usr/lib/postgresql/15/bin");
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) candidates.push_back(e.path() / "bin");
    for (const auto& c : candidates) {
      if (fs::exists(c / "initdb") && fs::exists(c / "pg_ctl") && fs::exists(c / "postgres")) return c.string();
    }
    return {};
  }

  Postgres() {
    bin_ = bin_dir();
    if (bin_.empty()) throw std::runtime_error("PostgreSQL server binaries not found");
    as_root_ = ::geteuid() == 0;
    std::string tmpl = (fs::temp_directory_path() / "complyd-pg-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (as_root_) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) throw std::runtime_error("user postgres does not exist");
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
    }
    port_ = free_port();
    run_or_throw(pg("initdb") + " -D " + quote((dir_ / "data").string()) +
                     " -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync",
                 "initdb");
    run_or_throw(pg("pg_ctl") + " -D " + quote((dir_ / "data").string()) + " -l " +
                     quote((dir_ / "server.log").string()) + " -o " +
                     quote("-k " + dir_.string() + " -h 127.0.0.1 -p " + std::to_string(port_)) + " -w -t 60 start",
                 "pg_ctl start");
    started_ = true;
  }

  ~Postgres() {
    if (started_) {
      std::system((pg("pg_ctl") + " -D " + quote((dir_ / "data").string()) + " -m fast -w stop >/dev/null 2>&1").c_str());
    }
    std::error_code ec;
    if (std::getenv("COMPLYD_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir_, ec);
  }
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  int port() const { return port_; }
  const fs::path& dir() const { return dir_; }

  // Runs SQL as the superuser over the Unix socket (trusted); throws with
  // psql's output on failure.
  void sql(const std::string& db, const std::string& text) {
    const fs::path file = dir_ / "setup.sql";
    write_file(file, text);
    if (as_root_) {
      const passwd* pw = ::getpwnam("postgres");
      if (::chown(file.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
    }
    run_or_throw(pg("psql") + " -X -q -v ON_ERROR_STOP=1 -h " + quote(dir_.string()) + " -p " +
                     std::to_string(port_) + " -U postgres -d " + quote(db) + " -f " + quote(file.string()),
                 "psql");
  }

 private:
  std::string pg(const std::string& tool) const {
    const std::string bin = quote((fs::path(bin_) / tool).string());
    return as_root_ ? "runuser -u postgres -- " + bin : bin;
  }

  void run_or_throw(const std::string& cmd, const std::string& what) {
    const fs::path out = dir_ / ".cmd-output";
    const int rc = std::system((cmd + " >" + quote(out.string()) + " 2>&1 </dev/null").c_str());
    if (rc != 0) {
      throw std::runtime_error(what + " failed (" + std::to_string(rc) + "): " + read_file(out) +
                               read_file(dir_ / "server.log"));
    }
  }

  std::string bin_;
  bool as_root_ = false;
  fs::path dir_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace complyd::itest
