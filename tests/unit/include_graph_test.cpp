// SPDX-License-Identifier: Apache-2.0
// The folder-level include graph of model/, checks/ and daemon/ read from the
// sources themselves, independently of the CMake layers that enforce it: it
// has no cycle, the model includes only itself, the checks only the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Graph = std::map<std::string, std::map<std::string, std::string>>;  // from -> to -> an example

const fs::path kRoot = COMPLYD_SOURCE_DIR;

// model, checks, daemon/<stage>; daemon/main.cpp is "daemon".
std::string folder_of(const std::string& relative) {
  const auto parent = fs::path(relative).parent_path().string();
  if (parent.starts_with("daemon/")) return parent.substr(0, parent.find('/', 7));
  return parent;
}

Graph read_graph() {
  Graph g;
  const std::regex include_line(R"re(^\s*#\s*include\s+"([^"]+)")re");
  for (const char* top : {"model", "checks", "daemon"}) {
    for (const auto& e : fs::recursive_directory_iterator(kRoot / top)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      const std::string from_file = fs::relative(e.path(), kRoot).string();
      const std::string from = folder_of(from_file);
      std::ifstream in(e.path());
      std::string line;
      std::smatch m;
      while (std::getline(in, line)) {
        if (!std::regex_search(line, m, include_line)) continue;
        const std::string to = folder_of(m[1].str());
        if (to != from) g[from].emplace(to, from_file + " includes " + m[1].str());
      }
    }
  }
  return g;
}

// A cycle as "a -> b -> a" with one include per edge, or "" when there is none.
std::string find_cycle(const Graph& g) {
  std::map<std::string, int> state;  // 1 on the path, 2 done
  std::vector<std::string> path;
  std::string found;
  std::function<bool(const std::string&)> visit = [&](const std::string& n) {
    state[n] = 1;
    path.push_back(n);
    if (auto it = g.find(n); it != g.end()) {
      for (const auto& [to, example] : it->second) {
        if (state[to] == 1) {
          auto start = std::find(path.begin(), path.end(), to);
          for (auto p = start; p != path.end(); ++p) {
            const auto next = p + 1 == path.end() ? to : *(p + 1);
            found += g.at(*p).at(next) + "\n";
          }
          return true;
        }
        if (state[to] == 0 && visit(to)) return true;
      }
    }
    path.pop_back();
    state[n] = 2;
    return false;
  };
  for (const auto& [n, edges] : g) {
    if (state[n] == 0 && visit(n)) break;
  }
  return found;
}

TEST(IncludeGraph, ReadsTheStagesItExpects) {
  const auto g = read_graph();
  // The reader sees the pipeline: the engine reads the sources' interface,
  // the store implements the engine's. An empty graph would pass the rest.
  ASSERT_TRUE(g.contains("daemon/engine"));
  EXPECT_TRUE(g.at("daemon/engine").contains("daemon/sources"));
  EXPECT_TRUE(g.at("daemon/store").contains("daemon/engine"));
  EXPECT_TRUE(g.at("checks").contains("model"));
}

TEST(IncludeGraph, HasNoCycle) {
  const std::string cycle = find_cycle(read_graph());
  EXPECT_EQ(cycle, "") << "folders include each other in a cycle:\n" << cycle;
}

TEST(IncludeGraph, FindsACycleWhenThereIsOne) {
  Graph g = read_graph();
  g["model"].emplace("daemon/notify", "model/x.hpp includes daemon/notify/outbox.hpp");
  EXPECT_NE(find_cycle(g).find("model/x.hpp includes daemon/notify/outbox.hpp"), std::string::npos);
}

TEST(IncludeGraph, ModelIncludesNothingAboveItAndChecksOnlyTheModel) {
  const auto g = read_graph();
  EXPECT_FALSE(g.contains("model")) << g.at("model").begin()->second;
  if (g.contains("checks")) {
    for (const auto& [to, example] : g.at("checks")) EXPECT_EQ(to, "model") << example;
  }
}

}  // namespace
