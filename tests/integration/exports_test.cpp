// SPDX-License-Identifier: Apache-2.0
// `audit --format ocsf`, `report --format ocsf|sarif` against what the
// standards require: every OCSF event against the class's required attributes
// and enums (tests/data, extracted from the OCSF schema), the SARIF log
// against the official SARIF 2.1.0 JSON schema (python3-jsonschema).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "harness.hpp"

namespace complyd::itest {
namespace {

const fs::path kTestData = fs::path(COMPLYD_SOURCE_DIR) / "tests" / "data";

// "a.b" in a JSON object, or nullptr.
const nlohmann::json* at_path(const nlohmann::json& j, const std::string& path) {
  const nlohmann::json* cur = &j;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto dot = path.find('.', start);
    const auto key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

// Every problem of one event against the extracted class description.
std::vector<std::string> ocsf_problems(const nlohmann::json& e, const nlohmann::json& spec) {
  std::vector<std::string> out;
  const auto missing = [&](const nlohmann::json& where, const std::string& prefix, const nlohmann::json& keys) {
    for (const auto& k : keys) {
      const auto key = k.get<std::string>();
      const auto* v = where.is_object() && where.contains(key) ? &where[key] : nullptr;
      if (v == nullptr || v->is_null() || (v->is_string() && v->get<std::string>().empty()) ||
          (v->is_array() && v->empty())) {
        out.push_back("missing " + prefix + key);
      }
    }
  };
  missing(e, "", spec["required"]);
  missing(e, "", spec["recommended_filled"]);
  for (const auto& [obj, rules] : spec["objects"].items()) {
    const auto* o = at_path(e, obj);
    if (o == nullptr) continue;  // its absence is reported above when it is required
    missing(*o, obj + ".", rules["required"]);
    if (rules.contains("recommended_filled")) missing(*o, obj + ".", rules["recommended_filled"]);
  }
  if (e["class_uid"] != spec["class"]["uid"]) out.push_back("class_uid " + e["class_uid"].dump());
  if (e["category_uid"] != spec["class"]["category_uid"]) out.push_back("category_uid " + e["category_uid"].dump());
  if (e.value("class_name", "") != spec["class"]["caption"]) out.push_back("class_name " + e["class_name"].dump());
  for (const auto& [attr, values] : spec["enums"].items()) {
    const auto* v = at_path(e, attr);
    if (v == nullptr) continue;
    if (!v->is_number_integer() || !values.contains(std::to_string(v->get<int>()))) {
      out.push_back(attr + " not in its enum: " + v->dump());
      continue;
    }
    const auto caption_attr = spec["captions"][attr].get<std::string>();
    const auto* caption = at_path(e, caption_attr);
    if (caption != nullptr && *caption != values[std::to_string(v->get<int>())]) {
      out.push_back(caption_attr + " " + caption->dump() + " is not the caption of " + attr + " " + v->dump());
    }
  }
  if (!e["time"].is_number_integer() || e["time"].get<std::int64_t>() < 1'000'000'000'000) {
    out.push_back("time is not epoch milliseconds: " + e["time"].dump());
  }
  if (e["type_uid"] != e["class_uid"].get<int>() * 100 + e["activity_id"].get<int>()) {
    out.push_back("type_uid " + e["type_uid"].dump());
  }
  if (!e["finding_info"]["uid"].is_string()) out.push_back("finding_info.uid is not a string");
  for (const auto& s : e["compliance"]["standards"]) {
    if (!s.is_string()) out.push_back("compliance.standards holds a non-string");
  }
  if (e["metadata"]["version"] != spec["version"]) out.push_back("metadata.version " + e["metadata"]["version"].dump());
  return out;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

class Exports : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run(dir_, {"demo", dir_.path().string(), "--now", kDemoNow}).exit_code, 0);
    config_ = (dir_ / "complyd.toml").string();
  }
  Result cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config_, "--state", sim_state(dir_)});
    return run(dir_, args);
  }
  TempDir dir_;
  std::string config_;
};

TEST_F(Exports, EveryOcsfEventHasTheClassRequirementsAndEnums) {
  const auto spec = nlohmann::json::parse(read_file(kTestData / "ocsf-1.3.0-compliance-finding.json"));
  auto audit = cli({"audit", "--format", "ocsf", "--now", kDemoNow});
  ASSERT_EQ(audit.exit_code, 3) << audit.err;
  const auto events = json_lines(audit.out);
  ASSERT_GT(events.size(), 10u);
  // A muted finding is Suppressed, and says by whom.
  const std::string muted_id = events[0]["finding_info"]["uid"];
  ASSERT_EQ(run(dir_, {"findings", "mute", muted_id, "--reason", "accepted for the test", "--until",
                       "2027-01-01", "--config", config_, "--state", sim_state(dir_)})
                .exit_code,
            0);
  // As of now (the default): the mute was recorded at the wall clock.
  auto report = cli({"report", "--format", "ocsf"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const auto reported = json_lines(report.out);
  ASSERT_EQ(reported.size(), events.size());

  std::set<int> statuses, frameworks_seen;
  for (const auto* list : {&events, &reported}) {
    for (const auto& e : *list) {
      EXPECT_EQ(ocsf_problems(e, spec), std::vector<std::string>{}) << e.dump(2);
      statuses.insert(e["status_id"].get<int>());
      if (e["compliance"].contains("requirements")) frameworks_seen.insert(1);
      EXPECT_FALSE(e["remediation"]["desc"].get<std::string>().empty());
    }
  }
  for (const auto& e : reported) {
    if (e["finding_info"]["uid"] != muted_id) continue;
    EXPECT_EQ(e["status_id"], 3);
    EXPECT_EQ(e["status"], "Suppressed");
    EXPECT_NE(e["status_detail"].get<std::string>().find("accepted for the test"), std::string::npos);
  }
  EXPECT_EQ(statuses, (std::set<int>{1, 3}));
  EXPECT_EQ(frameworks_seen, std::set<int>{1});  // framework references reach `compliance`
  // The demo's leaked bearer token is in no event (its masked excerpt may be).
  std::smatch token;
  const auto worker_log = read_file(dir_ / "logs" / "sync-worker.log");
  ASSERT_TRUE(std::regex_search(worker_log, token, std::regex("Bearer ([A-Za-z0-9_-]{40})")));
  EXPECT_EQ(audit.out.find(token[1].str()), std::string::npos);
  EXPECT_EQ(report.out.find(token[1].str()), std::string::npos);
}

// The SARIF log validated by the official schema with Debian's python3-jsonschema.
TEST_F(Exports, SarifLogIsValidStableAndHoldsNoSecret) {
  ASSERT_EQ(cli({"audit", "--now", kDemoNow}).exit_code, 3);
  auto first = cli({"report", "--format", "sarif", "--as-of", "2026-11-22T13:00:00Z", "--output",
                    (dir_ / "complyd.sarif").string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto validate = dir_ / "validate.py";
  write_file(validate,
             "import json, sys, jsonschema\n"
             "schema = json.load(open(sys.argv[1]))\n"
             "log = json.load(open(sys.argv[2]))\n"
             "jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)\n"
             "print(len(log['runs'][0]['results']))\n");
  const auto out = dir_ / "validate.out";
  const int rc = std::system(("/usr/bin/python3 " + quote(validate.string()) + " " +
                              quote((kTestData / "sarif-schema-2.1.0.json").string()) + " " +
                              quote((dir_ / "complyd.sarif").string()) + " >" + quote(out.string()) + " 2>&1")
                                 .c_str());
  ASSERT_EQ(rc, 0) << read_file(out);
  const auto log = nlohmann::json::parse(read_file(dir_ / "complyd.sarif"));
  const auto& results = log["runs"][0]["results"];
  ASSERT_GE(results.size(), 3u);  // the demo's leaks: a log, an .env file, a private key
  EXPECT_EQ(std::stoul(read_file(out)), results.size());
  EXPECT_EQ(log["runs"][0]["tool"]["driver"]["rules"][0]["id"], "leak-scan");
  for (const auto& r : results) {
    EXPECT_EQ(r["ruleId"], "leak-scan");
    EXPECT_TRUE(r["partialFingerprints"]["complydFindingId/v1"].is_string());
    EXPECT_TRUE(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>().starts_with(
        "file:///"));
  }
  // No value that leaked reaches the log: the demo's bearer token and card number.
  const auto sarif = read_file(dir_ / "complyd.sarif");
  const auto worker_log = read_file(dir_ / "logs" / "sync-worker.log");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(worker_log, m, std::regex("Bearer ([A-Za-z0-9_-]{40})")));
  EXPECT_EQ(sarif.find(m[1].str()), std::string::npos);
  EXPECT_EQ(sarif.find("4111 1111 1111 1111"), std::string::npos);

  // Stable: the same findings give the same fingerprints after another cycle.
  ASSERT_EQ(cli({"audit", "--now", "2026-11-22T14:00:00Z"}).exit_code, 3);
  auto second = cli({"report", "--format", "sarif", "--as-of", "2026-11-22T15:00:00Z"});
  const auto log2 = nlohmann::json::parse(second.out);
  std::set<std::string> a, b;
  for (const auto& r : results) a.insert(r["partialFingerprints"]["complydFindingId/v1"]);
  for (const auto& r : log2["runs"][0]["results"]) b.insert(r["partialFingerprints"]["complydFindingId/v1"]);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace complyd::itest
