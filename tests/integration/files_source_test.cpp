// SPDX-License-Identifier: Apache-2.0
// The files source against a real temp directory and a real state database:
// incremental reads, partial lines, rotation and truncation, unreadable files,
// persistence across restarts, the cycle's transaction, and canary values
// that must never reach the state database or the outputs.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "daemon/config/config.hpp"
#include "daemon/engine/cycle.hpp"
#include "daemon/sources/files_source.hpp"
#include "daemon/sources/inventory.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"
#include "harness.hpp"
#include "daemon/sources/registry.hpp"
#include "tests/unit/commit_cycle.hpp"
#include "daemon/app/cycle.hpp"

namespace complyd::itest {
namespace {


// High-entropy canaries, one per planted leak.
const std::string kTok1 = "CANARYb7Qk2Xz9Lw4Rp8Tn3Vj6Hm1Ys5Fd";
const std::string kTok2 = "CANARYm3Wq8Zr5Kx1Pt7Lv2Nj9Hb4Gc6Sd";
const std::string kTok3 = "CANARYt6Yh1Ju8Ik3Ol5Pz9Xa2Sw4Ed7Rf";
const std::string kCard = "4111 1111 1111 1111";
const std::string kEmail = "canary.donor@example.net";

void append(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::app);
  out << text;
}

// `text` as one gzip member (what gzip(1) writes).
std::string gzip_member(const std::string& text) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("zlib");
  std::string out(deflateBound(&zs, static_cast<uLong>(text.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib deflate");
  return out;
}

std::set<std::pair<std::size_t, LeakKind>> where(const std::vector<LeakHit>& hits, const std::string& file) {
  std::set<std::pair<std::size_t, LeakKind>> out;
  for (const auto& h : hits) {
    if (h.file == file) out.insert({h.line, h.kind});
  }
  return out;
}

// Every byte of the state database, its WAL and journal.
std::string state_bytes(const fs::path& dir) {
  std::string all;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().starts_with("state.db")) all += read_file(e.path());
  }
  return all;
}

class FilesScan : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(logs_);
    store_ = std::make_unique<StateStore>(dir_ / "state.db", StateUse::simulated);
    cfg_.paths = {logs_};
  }

  // One collection, committed like a cycle would.
  std::vector<LeakHit> cycle() {
    FileScanState st = store_->load_file_scans();
    FilesSource src(cfg_, LeakScanOptions{}, &st);
    Facts f;
    problems_.clear();
    src.collect(f, kNow, problems_);
    stats_ = src.last_stats();
    CycleRecord rec;
    rec.started_at = kNow;
    rec.status = "ok";
    testing::commit_cycle(*store_, rec, LifecycleResult{}, {}, &st);
    return f.leak_hits;
  }

  FileScanRecord record(const fs::path& p) {
    auto st = store_->load_file_scans();
    auto it = st.find(p.string());
    if (it == st.end()) throw std::runtime_error("no scan state for " + p.string());
    return it->second;
  }

  TempDir dir_;
  fs::path logs_ = dir_ / "logs";
  std::unique_ptr<StateStore> store_;
  FilesConfig cfg_;
  FilesScanStats stats_;
  std::vector<std::string> problems_;
};

TEST_F(FilesScan, FirstScanFindsEveryKind) {
  const auto log = logs_ / "worker.log";
  write_file(log, "2026-11-22T11:00:00Z INFO start\n"
                  "2026-11-22T11:00:01Z DEBUG headers={\"Authorization\": \"Bearer " + kTok1 + "\"}\n"
                  "2026-11-22T11:00:02Z INFO {\"securityToken\": \"" + kTok2 + "\"}\n"
                  "2026-11-22T11:00:03Z WARN card " + kCard + " rejected\n"
                  "2026-11-22T11:00:04Z INFO synced " + kEmail + "\n");
  fs::create_directories(logs_ / "app");
  write_file(logs_ / "app" / ".env", "RAISE_API_TOKEN=" + kTok3 + "\n");
  write_file(logs_ / "app" / "key.pem", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n");

  auto hits = cycle();
  EXPECT_TRUE(problems_.empty());
  EXPECT_EQ(where(hits, log.string()),
            (std::set<std::pair<std::size_t, LeakKind>>{{2, LeakKind::bearer_token},
                                                        {3, LeakKind::token_assignment},
                                                        {4, LeakKind::card_number},
                                                        {5, LeakKind::donor_email}}));
  // .env under logs/ is classed as a log too, but holds no e-mail; its name is a hit.
  EXPECT_EQ(where(hits, (logs_ / "app" / ".env").string()),
            (std::set<std::pair<std::size_t, LeakKind>>{{0, LeakKind::env_file}, {1, LeakKind::token_assignment}}));
  EXPECT_EQ(where(hits, (logs_ / "app" / "key.pem").string()),
            (std::set<std::pair<std::size_t, LeakKind>>{{1, LeakKind::private_key}}));
  EXPECT_EQ(stats_.files_seen, 3);
  EXPECT_EQ(stats_.bytes_read, static_cast<std::int64_t>(fs::file_size(log) + fs::file_size(logs_ / "app" / ".env") +
                                                         fs::file_size(logs_ / "app" / "key.pem")));
}

TEST_F(FilesScan, EmailsOnlyInLogs) {
  fs::create_directories(dir_ / "conf");
  write_file(dir_ / "conf" / "contacts.txt", "owner: " + kEmail + "\n");
  write_file(logs_ / "out.txt", "synced " + kEmail + "\n");  // under logs/: a log
  cfg_.paths = {logs_, dir_ / "conf"};
  auto hits = cycle();
  EXPECT_EQ(where(hits, (logs_ / "out.txt").string()).size(), 1u);
  EXPECT_TRUE(where(hits, (dir_ / "conf" / "contacts.txt").string()).empty());
}

TEST_F(FilesScan, AppendedBytesAreTheOnlyBytesRead) {
  const auto log = logs_ / "worker.log";
  write_file(log, "ok\nAuthorization: Bearer " + kTok1 + "\n");
  auto hits = cycle();
  EXPECT_EQ(stats_.bytes_read, static_cast<std::int64_t>(fs::file_size(log)));
  EXPECT_EQ(where(hits, log.string()), (std::set<std::pair<std::size_t, LeakKind>>{{2, LeakKind::bearer_token}}));

  const std::string more = "ok again\ntoken=" + kTok2 + "\n";
  append(log, more);
  hits = cycle();
  EXPECT_EQ(stats_.bytes_read, static_cast<std::int64_t>(more.size()));
  // The old hit is still reported (from the state), the new one with its true line number.
  EXPECT_EQ(where(hits, log.string()), (std::set<std::pair<std::size_t, LeakKind>>{
                                           {2, LeakKind::bearer_token}, {4, LeakKind::token_assignment}}));

  hits = cycle();  // nothing new
  EXPECT_EQ(stats_.bytes_read, 0);
  EXPECT_EQ(where(hits, log.string()).size(), 2u);

  store_ = std::make_unique<StateStore>(dir_ / "state.db", StateUse::simulated);  // restart
  hits = cycle();
  EXPECT_EQ(stats_.bytes_read, 0);
  EXPECT_EQ(where(hits, log.string()).size(), 2u);
  const auto rec = record(log);
  EXPECT_EQ(rec.scanned_bytes, static_cast<std::int64_t>(fs::file_size(log)));
  EXPECT_EQ(rec.scanned_lines, 4);
}

TEST_F(FilesScan, PartialLastLineIsReadAgainNextCycle) {
  const auto log = logs_ / "worker.log";
  write_file(log, "ok\nsecurityTok");  // a writer mid-line
  auto hits = cycle();
  EXPECT_TRUE(hits.empty());
  EXPECT_EQ(record(log).scanned_bytes, 3);
  EXPECT_EQ(record(log).carry, 11);

  append(log, "en=" + kTok1);  // still no newline: reported, not yet kept
  hits = cycle();
  EXPECT_EQ(where(hits, log.string()), (std::set<std::pair<std::size_t, LeakKind>>{{2, LeakKind::token_assignment}}));
  EXPECT_EQ(record(log).scanned_bytes, 3);
  EXPECT_TRUE(record(log).hits.empty());

  append(log, "\n");
  hits = cycle();
  EXPECT_EQ(where(hits, log.string()).size(), 1u);
  EXPECT_EQ(record(log).scanned_bytes, static_cast<std::int64_t>(fs::file_size(log)));
  EXPECT_EQ(record(log).carry, 0);
  EXPECT_EQ(record(log).hits.size(), 1u);
}

TEST_F(FilesScan, TruncationRescansFromTheStart) {
  const auto log = logs_ / "worker.log";
  write_file(log, "token=" + kTok1 + "\nBearer " + kTok2 + "\n");
  EXPECT_EQ(cycle().size(), 2u);
  write_file(log, "clean\n");  // same inode, shorter: copytruncate
  auto hits = cycle();
  EXPECT_TRUE(hits.empty());
  EXPECT_EQ(stats_.rescans, 1);
  EXPECT_EQ(record(log).scanned_bytes, 6);
}

TEST_F(FilesScan, SameSizeRewriteRescans) {
  const auto log = logs_ / "worker.log";
  const std::string leaky = "token=" + kTok1 + "\n";
  write_file(log, leaky);
  EXPECT_EQ(cycle().size(), 1u);
  write_file(log, std::string(leaky.size() - 1, 'x') + "\n");
  fs::last_write_time(log, fs::last_write_time(log) + std::chrono::seconds(5));
  EXPECT_TRUE(cycle().empty());
  EXPECT_EQ(stats_.rescans, 1);
}

TEST_F(FilesScan, RotationRescansAndDeletedFilesDropTheirHits) {
  const auto log = logs_ / "worker.log", rotated = logs_ / "worker.log.1";
  write_file(log, "token=" + kTok1 + "\n");
  EXPECT_EQ(cycle().size(), 1u);
  fs::rename(log, rotated);
  write_file(log, "a new file, clean, and longer than the old one was\n");
  auto hits = cycle();
  EXPECT_EQ(stats_.rescans, 1);  // worker.log: new inode
  EXPECT_TRUE(where(hits, log.string()).empty());
  EXPECT_EQ(where(hits, rotated.string()).size(), 1u);  // the leak moved with the rotated file
  fs::remove(rotated);
  hits = cycle();
  EXPECT_TRUE(hits.empty());
  EXPECT_EQ(store_->load_file_scans().count(rotated.string()), 0u);
}

TEST_F(FilesScan, ByteBudgetDefersTheRestToLaterCycles) {
  const auto log = logs_ / "worker.log";
  write_file(log, "token=" + kTok1 + "\nclean line, nothing to see here...\ntoken=" + kTok2 + "\n");
  cfg_.max_bytes_per_cycle = 45;
  std::vector<LeakHit> hits;
  int cycles = 0;
  do {
    hits = cycle();
    ++cycles;
    EXPECT_LE(stats_.bytes_read, 45);
  } while (stats_.deferred > 0 && cycles < 10);
  EXPECT_GE(cycles, 3);
  EXPECT_EQ(where(hits, log.string()), (std::set<std::pair<std::size_t, LeakKind>>{
                                           {1, LeakKind::token_assignment}, {3, LeakKind::token_assignment}}));
}

TEST_F(FilesScan, BinaryFilesSymlinksAndExcludesAreSkipped) {
  write_file(logs_ / "core.dump", std::string("\x7f" "ELF\0\0", 6) + "token=" + kTok1 + "\n");
  TempDir outside;
  write_file(outside / "secret.txt", "token=" + kTok2 + "\n");
  fs::create_symlink(outside / "secret.txt", logs_ / "linked.log");
  fs::create_directory_symlink(outside.path(), logs_ / "linked-dir");
  fs::create_directories(logs_ / "vendor");
  write_file(logs_ / "vendor" / "fixture.log", "token=" + kTok3 + "\n");
  write_file(logs_ / "skip.tmp", "token=" + kTok3 + "\n");
  cfg_.exclude = {"*.tmp", "vendor/*"};
  auto hits = cycle();
  EXPECT_TRUE(hits.empty()) << hits.size() << " hits, first in " << hits.front().file;
  EXPECT_TRUE(record(logs_ / "core.dump").is_binary);
}

// A Kubernetes env entry whose key line ends one cycle's read and whose
// value starts the next: joined through the scan state, which holds the key's
// name only.
TEST_F(FilesScan, KeyAndValueSplitAcrossCyclesAreJoined) {
  const auto manifest = logs_ / "deployment.yaml";
  const std::string head = "env:\n  - name: RAISE_API_TOKEN\n";
  write_file(manifest, head + "    value: \"" + kTok1 + "\"\n  - name: LOG_LEVEL\n    value: debug\n");
  cfg_.max_bytes_per_cycle = static_cast<std::int64_t>(head.size());
  EXPECT_TRUE(cycle().empty());
  EXPECT_EQ(record(manifest).scanned_bytes, static_cast<std::int64_t>(head.size()));
  EXPECT_EQ(record(manifest).pending_key, "RAISE_API_TOKEN");
  store_ = std::make_unique<StateStore>(dir_ / "state.db", StateUse::simulated);  // restart: the context is in the database
  cfg_.max_bytes_per_cycle = 4096;
  const auto hits = cycle();
  EXPECT_EQ(where(hits, manifest.string()), (std::set<std::pair<std::size_t, LeakKind>>{{3, LeakKind::token_assignment}}));
  EXPECT_TRUE(record(manifest).pending_key.empty());
  store_.reset();
  EXPECT_EQ(state_bytes(dir_.path()).find("CANARY"), std::string::npos);
}

// A rotated .gz log of several members (cat a.gz b.gz) is scanned as a log,
// once, and its hits are kept like any file's.
TEST_F(FilesScan, GzipLogIsScannedOnce) {
  const auto gz = logs_ / "worker.log.2.gz";
  write_file(gz, gzip_member("ok\n") + gzip_member("token=" + kTok1 + "\nsynced " + kEmail + "\n") +
                     gzip_member("Authorization: Bearer " + kTok2));  // no final newline
  auto hits = cycle();
  EXPECT_TRUE(problems_.empty()) << problems_.front();
  const std::set<std::pair<std::size_t, LeakKind>> expected{
      {2, LeakKind::token_assignment}, {3, LeakKind::donor_email}, {4, LeakKind::bearer_token}};
  EXPECT_EQ(where(hits, gz.string()), expected);
  EXPECT_TRUE(record(gz).gzip_done);
  EXPECT_FALSE(record(gz).is_binary);
  hits = cycle();
  EXPECT_EQ(stats_.files_read, 0);  // not inflated again
  EXPECT_EQ(where(hits, gz.string()), expected);
  store_.reset();
  const std::string bytes = state_bytes(dir_.path());
  for (const auto& canary : {kTok1, kTok2, kEmail}) EXPECT_EQ(bytes.find(canary), std::string::npos) << canary;
}

// An older complyd stored a .gz as binary (skipped): it is read now.
TEST_F(FilesScan, GzipStoredAsBinaryByAnOlderVersionIsRead) {
  const auto gz = logs_ / "worker.log.1.gz";
  write_file(gz, gzip_member("token=" + kTok1 + "\n"));
  cycle();
  FileScanState st = store_->load_file_scans();
  FileScanRecord& old = st.at(gz.string());
  old = FileScanRecord{old.path, old.device, old.inode, old.size, old.mtime_ns, old.size};
  old.is_binary = true;
  CycleRecord rec;
  rec.started_at = kNow;
  rec.status = "ok";
  testing::commit_cycle(*store_, rec, LifecycleResult{}, {}, &st);
  ASSERT_TRUE(record(gz).is_binary);
  EXPECT_EQ(where(cycle(), gz.string()), (std::set<std::pair<std::size_t, LeakKind>>{{1, LeakKind::token_assignment}}));
  EXPECT_FALSE(record(gz).is_binary);
}

// Decompressed bytes count against max_bytes_per_cycle; the next cycle goes
// on from the decompressed offset.
TEST_F(FilesScan, GzipReadOverSeveralCyclesByDecompressedOffset) {
  const auto gz = logs_ / "app.gz";  // no .log in the name: a .gz is a rotated log all the same
  std::string text;
  for (int i = 0; i < 200; ++i) text += "line " + std::to_string(i) + " nothing to see here at all\n";
  text += "token=" + kTok1 + "\nsynced " + kEmail + "\n";
  write_file(gz, gzip_member(text));
  cfg_.max_bytes_per_cycle = 4096;
  std::vector<LeakHit> hits;
  int cycles = 0;
  do {
    hits = cycle();
    ++cycles;
    EXPECT_LE(stats_.bytes_read, 4096);
  } while (stats_.deferred > 0 && cycles < 10);
  EXPECT_GE(cycles, 2);
  EXPECT_EQ(where(hits, gz.string()), (std::set<std::pair<std::size_t, LeakKind>>{
                                          {201, LeakKind::token_assignment}, {202, LeakKind::donor_email}}));
  EXPECT_EQ(record(gz).scanned_bytes, static_cast<std::int64_t>(text.size()));
  EXPECT_TRUE(problems_.empty());
}

// A gzip bomb stops at max_decompressed_bytes, and says so every cycle.
TEST_F(FilesScan, GzipOverTheCapIsReportedNotSilentlySkipped) {
  const auto gz = logs_ / "worker.log.1.gz";
  write_file(gz, gzip_member("token=" + kTok1 + "\n" + std::string(100000, 'a') + "\ntoken=" + kTok2 + "\n"));
  cfg_.max_decompressed_bytes = 4096;
  for (int i = 0; i < 2; ++i) {
    const auto hits = cycle();
    EXPECT_EQ(where(hits, gz.string()), (std::set<std::pair<std::size_t, LeakKind>>{{1, LeakKind::token_assignment}}));
    ASSERT_EQ(problems_.size(), 1u) << "cycle " << i;
    EXPECT_NE(problems_[0].find(gz.string() + ": not scanned past 4096 decompressed bytes"), std::string::npos)
        << problems_[0];
  }
  EXPECT_EQ(stats_.files_read, 0);
}

// A truncated or corrupt .gz: a problem for that file, what came before the
// damage is scanned, the rest of the directory too.
TEST_F(FilesScan, CorruptGzipIsAProblemNotACrashNorAPass) {
  std::string text = "token=" + kTok1 + "\n";
  for (int i = 0; i < 3000; ++i) text += std::to_string(i * 7919) + " some log line\n";
  const std::string whole = gzip_member(text);
  write_file(logs_ / "truncated.log.1.gz", whole.substr(0, whole.size() / 2));
  std::string garbled = gzip_member("ok\n") + gzip_member("token=" + kTok2 + "\n");
  garbled += "not gzip at all\n";  // a damaged third member
  write_file(logs_ / "garbled.log.2.gz", garbled);
  write_file(logs_ / "plain.log", "token=" + kTok3 + "\n");
  std::vector<LeakHit> hits;
  ASSERT_NO_THROW(hits = cycle());
  EXPECT_EQ(where(hits, (logs_ / "truncated.log.1.gz").string()),
            (std::set<std::pair<std::size_t, LeakKind>>{{1, LeakKind::token_assignment}}));
  EXPECT_EQ(where(hits, (logs_ / "garbled.log.2.gz").string()),
            (std::set<std::pair<std::size_t, LeakKind>>{{2, LeakKind::token_assignment}}));
  EXPECT_EQ(where(hits, (logs_ / "plain.log").string()).size(), 1u);
  ASSERT_EQ(problems_.size(), 2u);
  std::sort(problems_.begin(), problems_.end());
  EXPECT_NE(problems_[0].find("garbled.log.2.gz: corrupt or truncated gzip file"), std::string::npos) << problems_[0];
  EXPECT_NE(problems_[1].find("truncated.log.1.gz: corrupt or truncated gzip file (truncated"), std::string::npos)
      << problems_[1];
  cycle();
  EXPECT_EQ(problems_.size(), 2u);  // still reported
}

TEST_F(FilesScan, UnreadableFileIsAProblemNotAFailure) {
  write_file(logs_ / "ok.log", "token=" + kTok1 + "\n");
  // A path open(2) refuses even for root: a unix socket, configured as a file.
  const auto sock_path = logs_ / "worker.sock";
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock_path.string().size(), sizeof(addr.sun_path));
  std::strncpy(addr.sun_path, sock_path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  cfg_.paths = {logs_, sock_path};
  std::vector<LeakHit> hits;
  ASSERT_NO_THROW(hits = cycle());
  ::close(s);
  ASSERT_EQ(problems_.size(), 1u);
  EXPECT_NE(problems_[0].find(sock_path.string() + ": cannot read"), std::string::npos) << problems_[0];
  EXPECT_EQ(where(hits, (logs_ / "ok.log").string()).size(), 1u);  // the rest is still scanned
}

TEST_F(FilesScan, FileThatBecomesUnreadableKeepsItsHits) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  const auto log = logs_ / "worker.log";
  write_file(log, "token=" + kTok1 + "\n");
  EXPECT_EQ(cycle().size(), 1u);
  fs::permissions(log, fs::perms::none);
  auto hits = cycle();
  fs::permissions(log, fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_EQ(problems_.size(), 1u);
  EXPECT_NE(problems_[0].find("cannot read"), std::string::npos);
  EXPECT_EQ(where(hits, log.string()).size(), 1u);
}

TEST_F(FilesScan, MissingConfiguredPathFailsTheSourceAndKeepsTheState) {
  write_file(logs_ / "worker.log", "token=" + kTok1 + "\n");
  cycle();
  cfg_.paths.push_back(dir_ / "no-such-dir");
  FileScanState st = store_->load_file_scans();
  const auto before = st.at((logs_ / "worker.log").string()).scanned_bytes;
  FilesSource src(cfg_, LeakScanOptions{}, &st);
  Facts f;
  std::vector<std::string> problems;
  EXPECT_THROW(src.collect(f, kNow, problems), SourceError);
  EXPECT_EQ(st.at((logs_ / "worker.log").string()).scanned_bytes, before);
}

TEST_F(FilesScan, NoCanaryReachesTheStateDatabase) {
  const auto log = logs_ / "worker.log";
  write_file(log, "Authorization: Bearer " + kTok1 + "\n{\"securityToken\": \"" + kTok2 + "\"}\ncard " + kCard +
                      "\nsynced " + kEmail + "\n");
  write_file(logs_ / ".env", "RAISE_API_TOKEN=" + kTok3 + "\n");
  append(log, "partial token=" + kTok3);  // an unfinished line too
  cycle();
  cycle();
  const auto rec = record(log);
  ASSERT_EQ(rec.hits.size(), 4u);  // the state is not vacuous
  store_.reset();                  // close: checkpoint the WAL
  const std::string bytes = state_bytes(dir_.path());
  ASSERT_FALSE(bytes.empty());
  for (const auto& canary : {kTok1, kTok2, kTok3, std::string("CANARY"), std::string("4111 1111"),
                             std::string("4111111111111111"), kEmail, std::string("canary.donor")}) {
    EXPECT_EQ(bytes.find(canary), std::string::npos) << canary << " reached the state database";
  }
}

// Through the real cycle: hits from earlier cycles keep their findings open;
// a rolled-back cycle does not advance the offsets.
class FilesCycle : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "logs");
    create_inventory_schema(dir_ / "inventory.db");
    auto r = parse_config("[state]\npath = \"state.db\"\n[inventory]\npath = \"inventory.db\"\n"
                          "[files]\npaths = [\"logs\"]\n",
                          dir_ / "complyd.toml");
    ASSERT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].to_string());
    config_ = *r.config;
    store_ = std::make_unique<StateStore>(config_.state_db, StateUse::simulated);
  }

  CycleOutcome run_cycle(const std::function<bool()>& keep_going = {}) {
    return complyd::run_cycle(config_, *store_, fixed_clock(kNow + std::chrono::hours(++n_)), keep_going);
  }

  static std::set<std::string> leak_subjects(const CycleOutcome& o) {
    std::set<std::string> out;
    for (const auto& f : o.current) {
      if (f.check_id == "leak-scan" && f.status == FindingStatus::open) out.insert(f.subject);
    }
    return out;
  }

  TempDir dir_;
  Config config_;
  std::unique_ptr<StateStore> store_;
  int n_ = 0;
};

TEST_F(FilesCycle, EarlierHitsStayOpenAfterTheFileIsRotatedUntilAcknowledged) {
  const auto log = dir_ / "logs" / "worker.log";
  write_file(log, "Authorization: Bearer " + kTok1 + "\n");
  auto o = run_cycle();
  ASSERT_TRUE(o.committed);
  const std::set<std::string> first{log.string() + ":1 (bearer_token)"};
  EXPECT_EQ(leak_subjects(o), first);

  append(log, "clean\n");
  o = run_cycle();
  EXPECT_EQ(leak_subjects(o), first);
  EXPECT_TRUE(store_->list({FindingStatus::resolved, "", "leak-scan"}).empty());

  store_ = std::make_unique<StateStore>(config_.state_db, StateUse::simulated);  // restart
  append(log, "token=" + kTok2 + "\n");
  o = run_cycle();
  EXPECT_EQ(leak_subjects(o), (std::set<std::string>{log.string() + ":1 (bearer_token)",
                                                      log.string() + ":3 (token_assignment)"}));

  // The file is rotated: the hits are no longer reported, but the values
  // were exposed, so the findings (incidents) stay open until acknowledged.
  write_file(log, "rotated\n");
  o = run_cycle();
  const std::set<std::string> both{log.string() + ":1 (bearer_token)", log.string() + ":3 (token_assignment)"};
  EXPECT_EQ(leak_subjects(o), both);
  EXPECT_TRUE(store_->list({FindingStatus::resolved, "", "leak-scan"}).empty());
  for (const auto& f : store_->list({FindingStatus::open, "", "leak-scan"})) {
    store_->ack(f.id, "tokens rotated, log copies purged", Actor::os_user("alice"),
                kNow + std::chrono::hours(n_) + std::chrono::minutes(30));
  }
  o = run_cycle();
  EXPECT_TRUE(leak_subjects(o).empty());
  EXPECT_EQ(store_->list({FindingStatus::resolved, "", "leak-scan"}).size(), 2u);
}

TEST_F(FilesCycle, RolledBackCycleDoesNotAdvanceOffsets) {
  const auto log = dir_ / "logs" / "worker.log";
  write_file(log, "ok\n");
  ASSERT_TRUE(run_cycle().committed);
  append(log, "token=" + kTok1 + "\n");
  int asked = 0;
  auto o = run_cycle([&] { return ++asked < 2; });  // shutdown requested just before commit
  EXPECT_FALSE(o.committed);
  EXPECT_EQ(store_->load_file_scans().at(log.string()).scanned_bytes, 3);
  o = run_cycle();
  EXPECT_EQ(leak_subjects(o), (std::set<std::string>{log.string() + ":2 (token_assignment)"}));
}

TEST_F(FilesCycle, MissingPathMakesLeakScanIncompleteNotResolved) {
  const auto log = dir_ / "logs" / "worker.log";
  write_file(log, "token=" + kTok1 + "\n");
  ASSERT_EQ(leak_subjects(run_cycle()).size(), 1u);
  fs::remove_all(dir_ / "logs");
  auto o = run_cycle();
  EXPECT_EQ(o.record.status, "partial");
  EXPECT_EQ(leak_subjects(o).size(), 1u);  // kept: the scan could not confirm anything
  bool source_finding = false;
  for (const auto& f : o.current) source_finding |= f.check_id == "source-unavailable" && f.subject == "source:files";
  EXPECT_TRUE(source_finding);
}

// The demo, end to end through the binary.
std::string value_after(const std::string& text, const std::string& marker, const std::string& stop) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return "";
  const auto from = at + marker.size();
  return text.substr(from, text.find_first_of(stop, from) - from);
}

TEST(FilesDemo, DemoLeaksAreFoundAndNeverEchoed) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow}).exit_code, 0);
  const std::string log = read_file(d / "logs/sync-worker.log");
  const std::string env = read_file(d / "app/.env");
  const std::vector<std::string> planted{value_after(log, "Bearer ", "\""), value_after(log, "\"securityToken\": \"", "\""),
                                         value_after(env, "RAISE_API_TOKEN=", "\n"), "4111 1111 1111 1111",
                                         "jane.donor@example.net", "m.okafor@example.com"};
  for (const auto& v : planted) ASSERT_GE(v.size(), 16u) << "the demo no longer plants " << v;

  auto r = run(d, {"audit", "--state", sim_state(d), "--config", (d / "complyd.toml").string(), "--format", "json", "--now", kDemoNow});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  std::set<std::string> kinds;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] != "leak-scan") continue;
    const std::string subject = f["subject"];
    kinds.insert(subject.substr(subject.rfind('(') + 1, subject.size() - subject.rfind('(') - 2));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"bearer_token", "token_assignment", "private_key", "env_file",
                                          "card_number", "donor_email"}));
  const std::string state = state_bytes(d.path());
  for (const auto& v : planted) {
    EXPECT_EQ(r.out.find(v), std::string::npos) << v << " in the audit output";
    EXPECT_EQ(r.err.find(v), std::string::npos) << v << " in the log";
    EXPECT_EQ(state.find(v), std::string::npos) << v << " in the state database";
  }
}

TEST(FilesDemo, CompliantDemoFilesAreScannedAndClean) {
  TempDir d;
  ASSERT_EQ(run(d, {"demo", d.path().string(), "--now", kDemoNow, "--compliant"}).exit_code, 0);
  auto r = run(d, {"audit", "--state", sim_state(d), "--config", (d / "complyd.toml").string(), "--format", "json", "--now", kDemoNow});
  auto doc = nlohmann::json::parse(r.out);
  bool scanned = false;
  for (const auto& s : doc["cycle"]["sources"]) scanned |= s["name"] == "files" && s["ok"].get<bool>();
  EXPECT_TRUE(scanned);
  for (const auto& f : doc["findings"]) EXPECT_NE(f["check_id"], "leak-scan") << f.dump();
}

}  // namespace
}  // namespace complyd::itest
