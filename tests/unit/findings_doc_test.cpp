// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <sstream>

#include "daemon/report/findings_doc.hpp"
#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

std::vector<StoredFinding> sample() {
  std::vector<StoredFinding> v;
  for (int i = 0; i < 3; ++i) {
    StoredFinding f;
    f.id = "F" + std::to_string(i);
    f.check_id = "credential-age";
    f.severity = i == 0 ? Severity::critical : Severity::high;
    f.status = i == 2 ? FindingStatus::muted : FindingStatus::open;
    f.subject = "path/" + std::to_string(i);
    f.detail = "detail with \"quotes\" and \\ backslash";
    f.evidence_json = R"({"age_days":"120"})";
    f.first_seen = f.last_seen = kNow;
    if (i == 2) {
      f.muted_until = kNow + days(3);
      f.mute_reason = "accepted";
    }
    v.push_back(f);
  }
  return v;
}

TEST(FindingsDocument, StreamedEqualsBuilt) {
  CycleRecord c;
  c.id = 4;
  c.started_at = kNow;
  c.finished_at = kNow;
  c.status = "ok";
  for (const auto& findings : {sample(), std::vector<StoredFinding>{}}) {
    std::ostringstream out;
    write_findings_document(out, findings, c, kNow);
    EXPECT_EQ(nlohmann::json::parse(out.str()), findings_document(findings, c, kNow));
  }
  const auto doc = findings_document(sample(), std::nullopt, kNow);
  EXPECT_TRUE(doc["cycle"].is_null());
  EXPECT_EQ(doc["summary"]["open"], 2);
  EXPECT_EQ(doc["summary"]["muted"], 1);
  EXPECT_EQ(doc["summary"]["by_severity"]["critical"], 1);
  EXPECT_EQ(doc["findings"][2]["muted_until"], "2026-11-25T12:00:00Z");
  EXPECT_EQ(doc["findings"][0]["evidence"]["age_days"], "120");
}

// Evidence damaged in the database reads as "unreadable" in both writers,
// never as an empty object (which would look like a finding without evidence).
TEST(FindingsDocument, UnreadableStoredEvidenceSaysSo) {
  for (const char* damaged : {R"({"age_days":)", "[1, 2]", ""}) {
    auto findings = sample();
    findings[1].evidence_json = damaged;
    const auto built = findings_document(findings, std::nullopt, kNow);
    std::ostringstream out;
    write_findings_document(out, findings, std::nullopt, kNow);
    EXPECT_EQ(nlohmann::json::parse(out.str()), built) << damaged;
    EXPECT_TRUE(built["findings"][1]["evidence"].contains("unreadable")) << damaged;
    EXPECT_EQ(built["findings"][0]["evidence"]["age_days"], "120") << "the other findings keep theirs";
  }
}

}  // namespace
}  // namespace complyd::testing
