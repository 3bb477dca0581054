// A cycle's evaluation on several threads, with each kind of fact released
// once its readers are done, must find exactly what one thread finds with
// the whole snapshot held; the counters read in key ranges must be exactly
// the counters read in one pass. On a real demo inventory (SQLite file).
#include <gtest/gtest.h>

#include "daemon/config/config.hpp"
#include "daemon/demo/demo.hpp"
#include "daemon/engine/cycle.hpp"
#include "daemon/sources/inventory.hpp"
#include "daemon/util/time.hpp"
#include "harness.hpp"

namespace complyd::itest {
namespace {

class ParallelCycle : public ::testing::Test {
 protected:
  void SetUp() override {
    DemoOptions o;
    o.dir = dir_.path();
    o.customers = 400;
    o.now = now_;
    write_demo(o);
    auto r = load_config(dir_ / "complyd.toml");
    ASSERT_TRUE(r.ok());
    config_ = *r.config;
  }

  Facts read(unsigned readers) {
    InventorySource src(config_.inventory, readers);
    Facts f;
    std::vector<std::string> problems;
    src.collect(f, now_, problems);
    EXPECT_TRUE(problems.empty());
    return f;
  }

  TempDir dir_;
  Time now_ = *parse_time(kDemoNow);
  Config config_;
};

TEST_F(ParallelCycle, CountersReadInKeyRangesAreTheCountersReadInOnePass) {
  const Facts one = read(1);
  const Facts many = read(4);
  ASSERT_GT(one.verifications.size(), 30u);
  ASSERT_EQ(many.verifications.size(), one.verifications.size());
  for (std::size_t i = 0; i < one.verifications.size(); ++i) {
    const auto& a = one.verifications[i];
    const auto& b = many.verifications[i];
    ASSERT_EQ(a.customer_id, b.customer_id) << "series " << i;
    ASSERT_TRUE(i == 0 || one.verifications[i - 1].customer_id < a.customer_id) << "sorted, one series per customer";
    const auto ma = a.minutes.decode(), mb = b.minutes.decode();
    ASSERT_EQ(ma.size(), mb.size()) << a.customer_id;
    for (std::size_t j = 0; j < ma.size(); ++j) {
      EXPECT_EQ(ma[j].minute, mb[j].minute);
      EXPECT_EQ(ma[j].ok, mb[j].ok);
      EXPECT_EQ(ma[j].fail, mb[j].fail);
      EXPECT_EQ(ma[j].unsigned_processed, mb[j].unsigned_processed);
    }
  }
  EXPECT_EQ(many.credentials.size(), one.credentials.size());
  EXPECT_EQ(many.audit_events.size(), one.audit_events.size());
}

TEST_F(ParallelCycle, ReleasingFactsEarlyOnSeveralThreadsFindsExactlyWhatOneThreadFinds) {
  Facts serial_facts = read(1);
  Facts parallel_facts = serial_facts;
  const auto serial = evaluate_checks(serial_facts, now_, config_, {}, {1, false});
  int reader_runs = 0;
  std::size_t customers_seen = 0;
  const std::vector<FactsReader> alongside{
      {{FactKind::customers}, [&] {
         ++reader_runs;
         customers_seen = parallel_facts.customers.size();
       }}};
  const auto parallel = evaluate_checks(parallel_facts, now_, config_, alongside, {4, true});

  EXPECT_EQ(reader_runs, 1);
  EXPECT_EQ(customers_seen, serial_facts.customers.size()) << "a reader sees its kind before it is released";
  ASSERT_GT(serial.observed.size(), 50u);
  ASSERT_EQ(parallel.observed.size(), serial.observed.size());
  for (std::size_t i = 0; i < serial.observed.size(); ++i) {
    const auto& a = serial.observed[i];
    const auto& b = parallel.observed[i];
    ASSERT_EQ(a.id, b.id) << "same findings in the same (catalogue) order, at " << i;
    EXPECT_EQ(a.finding.detail, b.finding.detail);
    EXPECT_EQ(a.evidence_json, b.evidence_json);
  }
  EXPECT_EQ(parallel.complete_checks, serial.complete_checks);
  EXPECT_EQ(parallel.checks_run, serial.checks_run);

  // Every kind some check reads is gone once the checks are done; the
  // serial run, which did not release, kept everything.
  EXPECT_TRUE(parallel_facts.verifications.empty());
  EXPECT_TRUE(parallel_facts.audit_events.empty());
  EXPECT_TRUE(parallel_facts.credentials.empty());
  EXPECT_TRUE(parallel_facts.customers.empty());
  EXPECT_FALSE(serial_facts.verifications.empty());
  EXPECT_FALSE(serial_facts.audit_events.empty());
}

}  // namespace
}  // namespace complyd::itest
