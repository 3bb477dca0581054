// SPDX-License-Identifier: Apache-2.0
// A cycle's evaluation on several threads, with each kind of fact released
// once its readers are done, must find exactly what one thread finds with
// the whole snapshot held; the counters read in key ranges must be exactly
// the counters read in one pass. On a real demo inventory (SQLite file).
#include <gtest/gtest.h>

#include <algorithm>

#include "checks/registry.hpp"
#include "daemon/config/config.hpp"
#include "daemon/demo/demo.hpp"
#include "daemon/engine/cycle.hpp"
#include "daemon/sources/inventory.hpp"
#include "model/time.hpp"
#include "harness.hpp"
#include "daemon/sources/registry.hpp"

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
      {"counting reader", {FactKind::customers}, [&] {
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

// Rewrites every fact of one kind so that any check reading it would find
// something else: all customers offboarded long ago, every credential
// revoked, every URL plain http, no audit events, and so on.
void perturb(Facts& f, FactKind k, Time now) {
  const Time long_ago = now - days(400);
  switch (k) {
    case FactKind::customers:
      for (auto& c : f.customers) {
        c.status = CustomerStatus::offboarded;
        c.offboarded_at = long_ago;
        c.jurisdiction = "EU";
      }
      break;
    case FactKind::credentials:
      for (auto& c : f.credentials) {
        c.role = CredentialRole::revoked;
        c.fingerprint = "same";
        c.entropy_bytes = 1;
        c.rotated_at = c.created_at = c.last_used_at = long_ago;
      }
      break;
    case FactKind::webhooks:
      for (auto& w : f.webhooks) w.notification_url = "http://plain.example";
      break;
    case FactKind::verifications:
      f.verifications = {{f.customers.empty() ? "c" : f.customers.front().id,
                          PackedMinutes({{now.time_since_epoch().count() / 60 - 1, 0, 900, 9}})}};
      break;
    case FactKind::data_sets:
      for (auto& d : f.data_sets) d.oldest_record_at = long_ago - days(3650);
      break;
    case FactKind::audit_events: f.audit_events.clear(); break;
    case FactKind::attestations: f.attestations.clear(); break;
    case FactKind::api_endpoints: f.api_endpoints.push_back({"plain", "http://api.example", "test"}); break;
    case FactKind::file_scans: f.leak_hits.push_back({"/x/app.log", 1, LeakKind::private_key, "[key]", 64, 1}); break;
    case FactKind::outbox: f.outbox.dead.push_back({1, "digest", "", "a@example.org", 9, "550", long_ago}); break;
    case FactKind::customer_activity:
      for (const auto& c : f.customers) f.customer_activity.push_back({c.id, now});
      break;
    case FactKind::secret_stores: f.secret_stores.push_back({"vault", "https://vault", true, false, {}}); break;
    case FactKind::history:
      f.history.verified = true;
      f.history.intact = false;
      f.history.table = "cycles";
      break;
  }
}

// The cycle frees a kind of fact once the checks that declare it in `needs`
// are done, so a check that read an undeclared kind would read freed memory.
// Each check must find exactly the same whatever happens to the kinds it
// does not declare: here they are rewritten beyond recognition.
TEST_F(ParallelCycle, EveryCheckReadsOnlyTheFactKindsItDeclares) {
  const Facts all = read(1);
  ASSERT_FALSE(all.audit_events.empty());
  ASSERT_FALSE(all.data_sets.empty());
  ASSERT_FALSE(all.attestations.empty());
  for (const CheckDef* def : all_checks()) {
    Facts other = all;
    const auto& needs = def->info.needs;
    for (FactKind k : kAllFactKinds) {
      if (std::find(needs.begin(), needs.end(), k) == needs.end()) perturb(other, k, now_);
    }
    const CheckConfig& cc = config_.checks.at(def->info.id);
    const auto expected = def->evaluate(CheckContext{all, now_, cc.params, cc.severity});
    const auto got = def->evaluate(CheckContext{other, now_, cc.params, cc.severity});
    ASSERT_EQ(got.size(), expected.size()) << def->info.id << " reads a kind missing from its needs";
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].subject, expected[i].subject) << def->info.id;
      EXPECT_EQ(got[i].detail, expected[i].detail) << def->info.id;
      EXPECT_EQ(got[i].evidence, expected[i].evidence) << def->info.id;
    }
  }
}

// release_facts empties exactly the kind it is given.
TEST_F(ParallelCycle, ReleasingAKindEmptiesThatKindOnly) {
  const Facts all = read(1);
  Facts f = all;
  release_facts(f, FactKind::audit_events);
  EXPECT_TRUE(f.audit_events.empty());
  EXPECT_EQ(f.credentials.size(), all.credentials.size());
  EXPECT_EQ(f.verifications.size(), all.verifications.size());
  release_facts(f, FactKind::verifications);
  EXPECT_TRUE(f.verifications.empty());
  EXPECT_EQ(f.customers.size(), all.customers.size());
}

}  // namespace
}  // namespace complyd::itest
