// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <limits>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

const std::int64_t kNowMinute = kNow.time_since_epoch().count() / 60;  // kNow is minute-aligned

// One minute of counters, `ago` minutes before the minute that starts at kNow.
VerificationMinute at(std::int64_t ago, std::uint32_t ok, std::uint32_t fail = 0, std::uint32_t uns = 0) {
  return {kNowMinute - ago, ok, fail, uns};
}

// Steady traffic for every minute from `from_ago` down to `to_ago` (inclusive).
std::vector<VerificationMinute> steady(std::int64_t from_ago, std::int64_t to_ago, std::uint32_t ok,
                                       std::uint32_t fail = 0) {
  std::vector<VerificationMinute> v;
  for (std::int64_t a = from_ago; a >= to_ago; --a) v.push_back(at(a, ok, fail));
  return v;
}

// `base` with `m` replacing the minute it names (or added), sorted.
std::vector<VerificationMinute> with(std::vector<VerificationMinute> base, std::vector<VerificationMinute> ms) {
  for (const auto& m : ms) {
    auto it = std::find_if(base.begin(), base.end(), [&](const auto& b) { return b.minute == m.minute; });
    if (it != base.end()) *it = m; else base.push_back(m);
  }
  std::sort(base.begin(), base.end(), [](const auto& a, const auto& b) { return a.minute < b.minute; });
  return base;
}

// c1's series, plus another customer with traffic in the current minute so
// that the counters are fresh (evaluated as of kNow, not as of c1's last minute).
// The last cycle judged up to 61 minutes ago: this one judges the last hour.
Facts facts_of(std::vector<VerificationMinute> ms) {
  Facts f;
  f.judged_through[kVerificationsStream] = kNowMinute - 61;
  f.customers.push_back(customer("c1"));
  f.verifications.push_back(VerificationSeries{"c1", std::move(ms)});
  f.verifications.push_back(VerificationSeries{"clock", {at(0, 1)}});
  return f;
}

std::vector<std::string> subjects(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.subject);
  std::sort(out.begin(), out.end());
  return out;
}

struct SigCase {
  const char* name;
  std::vector<VerificationMinute> minutes;
  std::vector<std::string> expected;  // sorted subjects
};

class SignatureFailures : public ::testing::TestWithParam<SigCase> {};

TEST_P(SignatureFailures, Thresholds) {
  const auto& tc = GetParam();
  auto out = run_check("signature-failures", facts_of(tc.minutes));
  EXPECT_EQ(subjects(out), tc.expected) << tc.name;
  for (const auto& f : out) {
    EXPECT_EQ(f.customer_id, "c1");
    EXPECT_FALSE(f.detail.empty());
    EXPECT_FALSE(f.remediation.empty());
    // Titles are stable across cycles: no counts, rates or times.
    EXPECT_EQ(std::count_if(f.title.begin(), f.title.end(), [](char c) { return std::isdigit(c); }), 0) << f.title;
  }
}

const std::string kRate = "webhooks:failure-rate";
const std::string kSpike = "webhooks:spike";
const std::string kSilence = "webhooks:silence";
const std::string kUnsigned = "webhooks:unsigned";

INSTANTIATE_TEST_SUITE_P(
    Edges, SignatureFailures,
    ::testing::Values(
        SigCase{"healthy traffic", steady(1500, 0, 30), {}},
        SigCase{"no traffic at all", {}, {}},
        // (a) failure rate over 10 minutes, min sample 100.
        SigCase{"rate exactly 1 percent", steady(10, 1, 99, 1), {}},
        SigCase{"rate just over 1 percent", with(steady(10, 1, 99, 1), {at(5, 98, 2)}), {kRate}},
        SigCase{"sample exactly at minimum", steady(10, 1, 9, 1), {kRate}},
        SigCase{"sample one below minimum", with(steady(10, 1, 9, 1), {at(1, 8, 1)}), {}},
        SigCase{"failing minute in the earliest window", {at(69, 90, 10)}, {kRate}},
        SigCase{"failing minute before every window", {at(70, 90, 10)}, {}},
        SigCase{"failures long ago only", with(steady(300, 0, 50), {at(200, 0, 50)}), {}},
        // (b) spike against baseline (floor 1/minute, factor 10).
        SigCase{"spike exactly 10x floor", {at(5, 100000, 10)}, {}},
        SigCase{"spike over 10x floor", {at(5, 100000, 11)}, {kSpike}},
        SigCase{"spike exactly 10x baseline", with(steady(1500, 61, 1000, 2), {at(5, 100000, 20)}), {}},
        SigCase{"spike over 10x baseline", with(steady(1500, 61, 1000, 2), {at(5, 100000, 21)}), {kSpike}},
        SigCase{"baseline from first data minute", with(steady(120, 61, 1000, 2), {at(5, 100000, 21)}), {kSpike}},
        SigCase{"baseline from first data minute at edge", with(steady(120, 61, 1000, 2), {at(5, 100000, 20)}), {}},
        SigCase{"failures older than baseline window ignored",
                with(steady(1600, 1501, 1000, 5), {at(61, 1000), at(5, 100000, 11)}), {kSpike}},
        // (c) silence while deliveries are active.
        SigCase{"silence exactly 1h", {at(61, 50), at(30, 0, 3)}, {}},
        SigCase{"silence one minute over", {at(62, 50), at(30, 0, 3)}, {kSilence}},
        SigCase{"never verified while deliveries arrive", {at(30, 0, 3)}, {kSilence}},
        SigCase{"silent but no deliveries in the last hour", {at(200, 50), at(61, 0, 3)}, {}},
        SigCase{"delivery in minute starting exactly 1h ago", {at(200, 50), at(60, 0, 3)}, {kSilence}},
        // (d) unsigned requests in a minute not judged before.
        SigCase{"unsigned in the first unjudged minute", {at(60, 50, 0, 1)}, {kUnsigned}},
        SigCase{"unsigned in the last judged minute", {at(61, 50, 0, 1), at(1, 50)}, {}},
        SigCase{"unsigned in current minute", {at(10, 50), at(0, 50, 0, 2)}, {kUnsigned}},
        // Bad data: future minutes are ignored, unsorted and duplicate minutes handled.
        SigCase{"future minutes ignored", {at(10, 50), at(-5, 0, 100000, 7)}, {}},
        SigCase{"only future minutes", {at(-1, 0, 500, 3), at(-2, 0, 500, 3)}, {}},
        SigCase{"absurd minutes ignored",
                {VerificationMinute{std::numeric_limits<std::int64_t>::min(), 5, 500, 5}, at(10, 50),
                 VerificationMinute{std::numeric_limits<std::int64_t>::max(), 5, 500, 5}},
                {}},
        SigCase{"last success before the evaluated period", {at(3000, 50), at(10, 0, 3)}, {kSilence}},
        SigCase{"unsorted series", {at(1, 0, 2), at(30, 0, 3, 1), at(90, 50)}, {kSilence, kUnsigned}},
        SigCase{"duplicate minutes merged", {at(5, 50000, 6), at(5, 50000, 6)}, {kSpike}},
        SigCase{"saturated counters",
                {at(5, std::numeric_limits<std::uint32_t>::max(), std::numeric_limits<std::uint32_t>::max()),
                 at(5, 1, 1)},
                {kRate, kSpike}}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(SignatureFailuresCheck, SeveritiesAndEvidence) {
  auto ms = with(steady(1500, 0, 99, 1), {at(5, 80, 20), at(3, 99, 1, 4)});
  auto out = run_check("signature-failures", facts_of(ms));
  ASSERT_EQ(subjects(out), (std::vector<std::string>{kRate, kSpike, kUnsigned}));
  for (const auto& f : out) {
    if (f.subject == kUnsigned) {
      EXPECT_EQ(f.severity, Severity::critical);
      EXPECT_NE(f.detail.find("forged"), std::string::npos);
    } else {
      EXPECT_EQ(f.severity, Severity::high);
    }
    if (f.subject == kRate) {
      // The worst window: minutes 14..5 ago hold 29 failures of 1000.
      EXPECT_NE(f.detail.find("2.90%"), std::string::npos) << f.detail;
      EXPECT_NE(f.detail.find("29 of 1000"), std::string::npos) << f.detail;
    }
    if (f.subject == kSpike) {
      EXPECT_NE(f.detail.find("20 signature verification failures"), std::string::npos) << f.detail;
    }
    if (f.subject == kUnsigned) {
      bool found = false;
      for (const auto& [k, v] : f.evidence) found |= k == "unsigned_requests" && v == "4";
      EXPECT_TRUE(found);
    }
  }
}

TEST(SignatureFailuresCheck, SilenceDetailNamesTheLastSuccess) {
  auto out = run_check("signature-failures", facts_of({at(100, 50), at(10, 0, 3)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("since 2026-11-22T10:21:00Z"), std::string::npos) << out[0].detail;
  auto never = run_check("signature-failures", facts_of({at(3000, 50), at(10, 0, 3)}));
  ASSERT_EQ(never.size(), 1u);
  EXPECT_NE(never[0].detail.find("since before 2026-11-21T11:00:00Z"), std::string::npos) << never[0].detail;
}

TEST(SignatureFailuresCheck, LaggingCountersAreEvaluatedAsOfTheirNewestMinute) {
  // A snapshot audited again an hour later keeps its findings: time passing
  // without data resolves nothing.
  Facts f;
  f.verifications.push_back({"c1", {at(62, 50), at(30, 0, 3), at(5, 0, 11), at(3, 0, 0, 1)}});
  f.verifications.push_back({"other", {at(1, 40)}});
  const std::vector<std::string> expected{kSilence, kSpike, kUnsigned};
  EXPECT_EQ(subjects(run_check("signature-failures", f)), expected);
  auto later = run_check("signature-failures", f, kNow + hours(1));
  EXPECT_EQ(subjects(later), expected);
  std::map<std::string, std::string> ev(later[0].evidence.begin(), later[0].evidence.end());
  EXPECT_EQ(ev["counters_as_of"], "2026-11-22T12:00:00Z");
  // Once a cycle has judged them (up to the last complete minute), fresh
  // counters move the evaluation to now and the old events are not judged again.
  f.judged_through[kVerificationsStream] = kNowMinute - 1;
  f.verifications.push_back({"fresh", {VerificationMinute{kNowMinute + 59, 1, 0, 0}}});
  EXPECT_TRUE(run_check("signature-failures", f, kNow + hours(1)).empty());
  // Counters older than a week are not evaluated at all; eight days without
  // a cycle leave a day unjudged, and that is said.
  auto gap = run_check("signature-failures", f, kNow + days(8));
  ASSERT_EQ(gap.size(), 1u);
  EXPECT_EQ(gap[0].subject, "webhooks:unjudged:2026-11-22T12:00:00Z");
}

TEST(SignatureFailuresCheck, JudgesEveryMinuteAfterTheWatermark) {
  // The daemon was down for three hours: the last cycle judged up to 4 h ago,
  // and an unsigned request was processed 3 h ago.
  Facts f = facts_of({at(300, 50), at(180, 50, 0, 1), at(1, 50)});
  f.judged_through[kVerificationsStream] = kNowMinute - 240;
  auto out = run_check("signature-failures", f);
  ASSERT_EQ(subjects(out), std::vector<std::string>{kUnsigned});
  std::map<std::string, std::string> ev(out[0].evidence.begin(), out[0].evidence.end());
  EXPECT_EQ(ev["first_minute"], format_time(kNow - hours(3)));
  // A minute already judged is not judged again.
  f.judged_through[kVerificationsStream] = kNowMinute - 180;
  EXPECT_TRUE(run_check("signature-failures", f).empty());
  // No watermark (a first run): max_backfill back, 7 days by default.
  f.judged_through.clear();
  EXPECT_EQ(subjects(run_check("signature-failures", f)), std::vector<std::string>{kUnsigned});
  Facts old = facts_of({at(7 * 1440 + 10, 50, 0, 1), at(1, 50)});
  old.judged_through.clear();
  EXPECT_TRUE(run_check("signature-failures", old).empty());
}

TEST(SignatureFailuresCheck, GapLongerThanTheBackfillIsReported) {
  Facts f = facts_of({at(1, 50)});
  f.judged_through[kVerificationsStream] = kNowMinute - 8 * 1440;  // the last cycle was 8 days ago
  auto out = run_check("signature-failures", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "webhooks:unjudged:" + format_time(kNow - days(8) + minutes(1)));
  EXPECT_EQ(out[0].customer_id, "");
  std::map<std::string, std::string> ev(out[0].evidence.begin(), out[0].evidence.end());
  EXPECT_EQ(ev["unjudged_minutes"], "1439");  // the day before the backfill, less the minute judged last
  EXPECT_EQ(ev["max_backfill"], "7d");
  // Within the backfill: nothing to say.
  f.judged_through[kVerificationsStream] = kNowMinute - 7 * 1440;
  EXPECT_TRUE(run_check("signature-failures", f).empty());
}

TEST(SignatureFailuresCheck, ReportsEachCustomerSeparately) {
  Facts f;
  f.verifications.push_back({"quiet", steady(20, 0, 5, 1)});  // 17% failing but under the minimum sample
  f.verifications.push_back({"busy", steady(20, 0, 90, 10)});
  f.verifications.push_back({"forged", {at(3, 40, 0, 1)}});
  f.verifications.push_back({"empty", {}});
  auto out = run_check("signature-failures", f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].customer_id, "busy");
  EXPECT_EQ(out[0].subject, kRate);
  EXPECT_EQ(out[1].customer_id, "forged");
  EXPECT_EQ(out[1].subject, kUnsigned);
}

TEST(SignatureFailuresCheck, ParametersAreHonoured) {
  const auto ms = with(steady(20, 0, 4), {at(8, 40, 6)});
  EXPECT_EQ(run_check("signature-failures", facts_of(ms)).size(), 0u);  // 7% but only 82 per 10 minutes
  auto lowered = run_check<SignatureFailuresParams>("signature-failures", facts_of(ms), kNow, [](auto& p) {
    p.min_sample = 50;
    p.window = minutes(5);
  });
  ASSERT_EQ(subjects(lowered), std::vector<std::string>{kRate});
  // A first run judges max_backfill: an unsigned request 30 minutes ago is
  // outside a 10-minute one.
  Facts first = facts_of({at(30, 50, 0, 1)});
  first.judged_through.clear();
  EXPECT_EQ(subjects(run_check("signature-failures", first)), std::vector<std::string>{kUnsigned});
  auto short_backfill = run_check<SignatureFailuresParams>("signature-failures", first, kNow,
                                                           [](auto& p) { p.max_backfill = minutes(10); });
  EXPECT_TRUE(short_backfill.empty());
  auto silence = run_check<SignatureFailuresParams>("signature-failures", facts_of({at(40, 50), at(5, 0, 2)}), kNow,
                                                    [](auto& p) { p.max_silence = minutes(30); });
  ASSERT_EQ(subjects(silence), std::vector<std::string>{kSilence});
}

TEST(SignatureFailuresCheck, ConfiguredSeverityMovesTheUnsignedFinding) {
  const CheckDef* def = find_check("signature-failures");
  ASSERT_NE(def, nullptr);
  Params p = default_params(def->info);
  Facts f = facts_of({at(3, 40, 0, 1)});
  CheckContext ctx{f, kNow, p, Severity::medium};
  auto out = def->evaluate(ctx);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::high);
}

TEST(SignatureFailuresCheck, FullDayOfManyCustomersIsOneLinearPass) {
  // 24h of per-minute counters for a few hundred customers: a smoke test of
  // the single-pass code path on realistic series (and that nothing fires).
  Facts f;
  for (int c = 0; c < 300; ++c) {
    std::vector<VerificationMinute> ms;
    ms.reserve(1500);
    for (std::int64_t a = 1499; a >= 0; --a) ms.push_back(at(a, 20 + static_cast<std::uint32_t>((a * 7 + c) % 20),
                                                          (a + c) % 400 == 0 ? 1u : 0u));
    f.verifications.push_back({"c" + std::to_string(c), std::move(ms)});
  }
  EXPECT_TRUE(run_check("signature-failures", f).empty());
}

}  // namespace
}  // namespace complyd::testing
