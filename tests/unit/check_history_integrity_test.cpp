// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

Facts history_facts(bool verified, bool intact) {
  Facts f;
  f.history.verified = verified;
  f.history.intact = intact;
  f.history.head_seq = 41;
  if (!intact) {
    f.history.table = "finding_events";
    f.history.row_id = 17;
    f.history.seq = 42;
    f.history.problem = "the row does not match its hash: it was edited after it was recorded";
  }
  return f;
}

TEST(HistoryIntegrityCheck, AnIntactOrUnverifiedChainIsNoFinding) {
  EXPECT_TRUE(run_check("history-integrity", history_facts(true, true)).empty());
  EXPECT_TRUE(run_check("history-integrity", history_facts(false, true)).empty());
}

TEST(HistoryIntegrityCheck, ABreakIsOneCriticalFindingNamingTheFirstBrokenRecord) {
  const auto out = run_check("history-integrity", history_facts(true, false));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::critical);
  EXPECT_EQ(out[0].subject, "history:finding_events:17");
  EXPECT_NE(out[0].detail.find("finding_events row 17 (record 42)"), std::string::npos) << out[0].detail;
  EXPECT_NE(out[0].detail.find("edited"), std::string::npos);
  EXPECT_NE(out[0].detail.find("Records up to 41 verify"), std::string::npos);
}

}  // namespace
}  // namespace complyd::testing
