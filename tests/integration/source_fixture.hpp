// SPDX-License-Identifier: Apache-2.0
// Shared by the source tests: one configured source built from TOML through
// the real config loader and registry, and the message of what it threw.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <chrono>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/sources/http_client.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/sources/source.hpp"
#include "harness.hpp"

namespace complyd::itest {

// Every problem of a config made of `toml` after a minimal [inventory].
inline std::string config_problems(const std::string& toml, const fs::path& file = "/x/c.toml") {
  auto r = parse_config("[inventory]\npath = \"inventory.db\"\n" + toml, file);
  std::string all;
  for (const auto& p : r.problems) all += p.to_string() + "\n";
  return all;
}

// The first [[sources]] of `toml`, built as the cycle builds it. `keep` owns
// the config the source refers to.
inline std::unique_ptr<Source> make_source(const TempDir& dir, const std::string& toml, Config& keep) {
  auto r = parse_config("[inventory]\npath = \"inventory.db\"\n" + toml, dir / "complyd.toml");
  if (!r.ok()) throw std::runtime_error(config_problems(toml, dir / "complyd.toml"));
  keep = *r.config;
  const SourceConfig& sc = keep.sources.at(0);
  return find_source_type(sc.type)->make(sc, SourceContext{keep});
}

// The configuration of `r`, or an exception naming every problem in it.
inline Config loaded(const ConfigResult& r) {
  if (r.ok()) return *r.config;
  std::string all;
  for (const auto& p : r.problems) all += p.to_string() + "\n";
  throw std::runtime_error(all);
}

// Records the waits of a client's retries instead of sleeping them.
struct Sleeps {
  std::vector<std::chrono::milliseconds> waits;
  HttpClient::Sleep fn() {
    return [this](std::chrono::milliseconds d) { waits.push_back(d); };
  }
};

// What f threw as a SourceError, or "(nothing thrown)"; any other exception
// propagates (and fails the test).
inline std::string source_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const SourceError& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

// What collecting from `s` at `now` threw as a SourceError.
inline std::string source_error(Source& s, Time now) {
  return source_error([&] {
    Facts f;
    std::vector<std::string> problems;
    s.collect(f, now, problems);
  });
}

// What f threw, or "(nothing thrown)".
inline std::string thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace complyd::itest
