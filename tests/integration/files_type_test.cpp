// SPDX-License-Identifier: Apache-2.0
// [[sources]] type = "files": file-age retention (mtimes), several files
// sources sharing the persisted scan state, overlap refused, and the
// retention-window findings end to end through `complyd audit`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>

#include "daemon/config/config.hpp"
#include "daemon/sources/files_source.hpp"
#include "daemon/sources/inventory.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"
#include "harness.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;

const std::string kTokA = "CANARYa9Qk2Xz7Lw4Rp8Tn3Vj6Hm1Ys5Fd";
const std::string kTokB = "CANARYb3Wq8Zr5Kx1Pt7Lv2Nj9Hb4Gc6Sd";

// Sets a file's mtime to `t` (whole seconds).
void set_mtime(const fs::path& p, Time t) {
  const auto sys = std::chrono::system_clock::time_point(t.time_since_epoch());
  fs::last_write_time(p, std::chrono::file_clock::from_sys(sys));
}

void touch(const fs::path& p, Time t) {
  fs::create_directories(p.parent_path());
  write_file(p, "line\n");
  set_mtime(p, t);
}


class FilesType : public ::testing::Test {
 protected:
  ConfigResult load(const std::string& toml) {
    write_file(dir_ / "complyd.toml", "[state]\npath = \"state.db\"\n[inventory]\npath = \"inventory.db\"\n" + toml);
    return load_config(dir_ / "complyd.toml");
  }

  json audit(int expected_exit) {
    auto r = run(dir_, {"audit", "--state", sim_state(dir_), "--config", (dir_ / "complyd.toml").string(), "--format", "json", "--now", kDemoNow});
    if (expected_exit >= 0) { EXPECT_EQ(r.exit_code, expected_exit) << r.err; }
    EXPECT_EQ((r.out + r.err).find("CANARY"), std::string::npos);
    return json::parse(r.out);
  }

  TempDir dir_;
};

TEST_F(FilesType, RetentionDataSetFromFileMtimes) {
  const fs::path hot = dir_ / "raise-sync" / "hot";
  touch(hot / "a.log", kNow - days(45));
  touch(hot / "2026" / "b.log", kNow - days(2));
  touch(hot / "c.log", kNow - days(10));
  fs::create_symlink("/etc/hostname", hot / "link.log");  // not followed, not counted
  std::vector<std::string> problems;
  const DataSet d = retention_data_set({hot, "worker_log_hot", "cust_1", ""}, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(d.record_count, 3);
  EXPECT_EQ(d.oldest_record_at, kNow - days(45));
  EXPECT_EQ(d.newest_record_at, kNow - days(2));
  EXPECT_EQ(d.name, hot.string());
  EXPECT_EQ(d.location, hot.string());
  EXPECT_EQ(d.customer_id, "cust_1");
  EXPECT_EQ(d.data_class, "worker_log_hot");

  const fs::path empty = dir_ / "empty";
  fs::create_directories(empty);
  const DataSet e = retention_data_set({empty, "worker_log_cold", "", "cold"}, problems);
  EXPECT_EQ(e.record_count, 0);
  EXPECT_FALSE(e.oldest_record_at.has_value());
  EXPECT_EQ(e.name, "cold");
  EXPECT_THROW(retention_data_set({dir_ / "nope", "worker_log_hot", "", ""}, problems), SourceError);
}

TEST_F(FilesType, RetentionEndToEnd) {
  create_inventory_schema(dir_ / "inventory.db");
  touch(dir_ / "logs" / "hot" / "old.log", kNow - days(31));
  touch(dir_ / "logs" / "hot" / "new.log", kNow - days(1));
  touch(dir_ / "logs" / "cold" / "old.log.gz", kNow - days(200));  // within 1 y
  auto r = load(R"(
[[sources]]
name = "worker-logs"
type = "files"
retention = [
  { path = "logs/hot", data_class = "worker_log_hot", name = "worker_logs/hot" },
  { path = "logs/cold", data_class = "worker_log_cold", name = "worker_logs/cold" },
]
)");
  ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].to_string());
  auto doc = audit(3);
  std::vector<std::string> subjects;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] == "retention-window") subjects.push_back(f["subject"]);
  }
  EXPECT_EQ(subjects, std::vector<std::string>{"data:worker_logs/hot"}) << doc.dump(2);

  // The old hot log is purged: the finding resolves.
  fs::remove(dir_ / "logs" / "hot" / "old.log");
  auto after = audit(-1);  // other checks may flag the empty inventory
  for (const auto& f : after["findings"]) EXPECT_NE(f["check_id"], "retention-window") << f.dump();
  EXPECT_EQ(after["cycle"]["resolved"], 1) << after["cycle"].dump();

  // A missing retention directory fails the source: source-unavailable, nothing resolves wrongly.
  touch(dir_ / "logs" / "hot" / "old.log", kNow - days(31));
  audit(3);
  fs::remove_all(dir_ / "logs" / "cold");
  auto blind = audit(3);
  bool su = false, kept = false;
  for (const auto& f : blind["findings"]) {
    su = su || (f["check_id"] == "source-unavailable" &&
                f["detail"].get<std::string>().find("does not exist") != std::string::npos);
    kept = kept || (f["check_id"] == "retention-window" && f["subject"] == "data:worker_logs/hot");
  }
  EXPECT_TRUE(su) << blind.dump(2);
  EXPECT_TRUE(kept);
}

TEST_F(FilesType, TwoFileSourcesShareTheStateWithoutClobbering) {
  create_inventory_schema(dir_ / "inventory.db");
  fs::create_directories(dir_ / "a");
  fs::create_directories(dir_ / "b");
  write_file(dir_ / "a" / "worker.log", "Authorization: Bearer " + kTokA + "\n");
  write_file(dir_ / "b" / "app.log", "ok\n");
  auto r = load(R"(
[files]
paths = ["a"]
[[sources]]
name = "more-logs"
type = "files"
paths = ["b"]
max_bytes_per_cycle = 4096
)");
  ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].to_string());
  auto doc = audit(3);
  auto leak_files = [](const json& d) {
    std::set<std::string> out;
    for (const auto& f : d["findings"]) {
      if (f["check_id"] == "leak-scan" && f["status"] == "open") out.insert(f["subject"].get<std::string>());
    }
    return out;
  };
  ASSERT_EQ(leak_files(doc).size(), 1u) << doc.dump(2);

  // Both sources' files are in the persisted state; each continues incrementally.
  {
    StateStore store(dir_ / kSimState);
    auto st = store.load_file_scans();
    ASSERT_TRUE(st.contains((dir_ / "a" / "worker.log").string()));
    ASSERT_TRUE(st.contains((dir_ / "b" / "app.log").string()));
    EXPECT_EQ(st[(dir_ / "b" / "app.log").string()].scanned_bytes, 3);
  }
  std::ofstream(dir_ / "b" / "app.log", std::ios::app) << "token=" << kTokB << "\n";
  auto second = audit(3);
  EXPECT_EQ(leak_files(second).size(), 2u) << second.dump(2);
  {
    StateStore store(dir_ / kSimState);
    auto st = store.load_file_scans();
    // a's hit survived b's cycle (no clobbering), b continued after its first line.
    EXPECT_EQ(st[(dir_ / "a" / "worker.log").string()].hits.size(), 1u);
    EXPECT_EQ(st[(dir_ / "b" / "app.log").string()].scanned_lines, 2);
  }
  EXPECT_EQ(read_file(dir_ / kSimState).find("CANARY"), std::string::npos);

  // b's path removed from the configuration: its state is pruned, a's kept.
  load("[files]\npaths = [\"a\"]\n");
  audit(3);
  StateStore store(dir_ / kSimState);
  auto st = store.load_file_scans();
  EXPECT_TRUE(st.contains((dir_ / "a" / "worker.log").string()));
  EXPECT_FALSE(st.contains((dir_ / "b" / "app.log").string()));
}

TEST_F(FilesType, SharedStateInProcessReplacesOnlyOwnEntries) {
  fs::create_directories(dir_ / "a");
  fs::create_directories(dir_ / "b");
  write_file(dir_ / "a" / "x.log", "Authorization: Bearer " + kTokA + "\n");
  write_file(dir_ / "b" / "y.log", "token=" + kTokB + "\n");
  FileScanState shared;
  FilesConfig ca, cb;
  ca.paths = {dir_ / "a"};
  cb.paths = {dir_ / "b"};
  FilesSource a(ca, LeakScanOptions{}, &shared, "a");
  FilesSource b(cb, LeakScanOptions{}, &shared, "b");
  Facts f;
  std::vector<std::string> problems;
  a.collect(f, kNow, problems);
  b.collect(f, kNow, problems);
  EXPECT_EQ(shared.size(), 2u);
  fs::remove(dir_ / "b" / "y.log");
  Facts g;
  b.collect(g, kNow, problems);  // b's deleted file leaves; a's entry stays
  EXPECT_EQ(shared.size(), 1u);
  EXPECT_TRUE(shared.contains((dir_ / "a" / "x.log").string()));
  EXPECT_TRUE(a.owns((dir_ / "a" / "x.log").string()));
  EXPECT_FALSE(a.owns((dir_ / "ab" / "x.log").string()));
}

TEST_F(FilesType, OverlappingPathsFailTheLaterSource) {
  fs::create_directories(dir_ / "logs" / "sub");
  auto r = load(R"(
[files]
paths = ["logs"]
[[sources]]
name = "dup"
type = "files"
paths = ["logs/sub"]
)");
  ASSERT_TRUE(r.ok());
  const SourceContext ctx{*r.config};
  auto src = find_source_type("files")->make(r.config->sources[0], ctx);
  Facts f;
  std::vector<std::string> problems;
  try {
    src->collect(f, kNow, problems);
    ADD_FAILURE() << "overlap accepted";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("overlaps " + (dir_ / "logs").string() + " of the files source 'files'"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(FilesType, ConfigValidationAndProvides) {
  auto r = load("[[sources]]\nname = \"x\"\ntype = \"files\"\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].message.find("set 'paths'"), std::string::npos) << r.problems[0].message;
  r = load("[[sources]]\nname = \"x\"\ntype = \"files\"\nretention = [ { path = \"l\" } ]\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].message.find("'data_class' is required"), std::string::npos) << r.problems[0].message;
  r = load("[[sources]]\nname = \"x\"\ntype = \"files\"\nretention = [ { path = \"l\", data_class = \"d\", "
           "colour = \"red\" } ]\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].message.find("unknown key 'sources[1].retention[1].colour'"), std::string::npos)
      << r.problems[0].message;
  r = load("[[sources]]\nname = \"x\"\ntype = \"files\"\npaths = [\"l\"]\nretention = [ { path = \"l\", "
           "data_class = \"worker_log_hot\", customer_id = \"c1\" } ]\n");
  ASSERT_TRUE(r.ok()) << r.problems[0].to_string();
  const auto& s = r.config->sources[0].as<FilesSourceSettings>();
  EXPECT_EQ(s.files.paths, std::vector<fs::path>{dir_ / "l"});
  ASSERT_EQ(s.retention.size(), 1u);
  EXPECT_EQ(s.retention[0].customer_id, "c1");
  const SourceContext ctx{*r.config};
  EXPECT_EQ(find_source_type("files")->make(r.config->sources[0], ctx)->provides(),
            (std::vector<FactKind>{FactKind::file_scans, FactKind::data_sets}));
  EXPECT_TRUE(uses_file_scans(*r.config));
}

}  // namespace
}  // namespace complyd::itest
