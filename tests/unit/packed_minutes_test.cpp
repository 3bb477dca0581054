// SPDX-License-Identifier: Apache-2.0
// PackedMinutes: the counters' packed form must give back exactly what went
// in, whatever went in (the check normalises order and duplicates itself).
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "model/facts.hpp"

namespace complyd {
namespace {

bool same(const std::vector<VerificationMinute>& a, const std::vector<VerificationMinute>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].minute != b[i].minute || a[i].ok != b[i].ok || a[i].fail != b[i].fail ||
        a[i].unsigned_processed != b[i].unsigned_processed)
      return false;
  }
  return true;
}

TEST(PackedMinutes, RoundTripsEveryShapeOfSeries) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kBig = std::numeric_limits<std::uint32_t>::max();
  const std::vector<std::vector<VerificationMinute>> cases{
      {},
      {{29'923'200, 1, 0, 0}},
      {{29'923'200, 10, 1, 0}, {29'923'201, 12, 0, 0}, {29'923'260, 0, 0, 3}},
      {{29'923'201, 1, 2, 3}, {29'923'200, 4, 5, 6}, {29'923'200, 7, 8, 9}},  // unsorted, duplicate
      {{kMin, kBig, kBig, kBig}, {kMax, 0, 0, 0}, {kMin, 1, 1, 1}, {0, 0, 0, 0}, {-1, 5, 0, 0}},
  };
  for (const auto& in : cases) {
    const PackedMinutes p(in);
    EXPECT_EQ(p.size(), in.size());
    EXPECT_EQ(p.empty(), in.empty());
    EXPECT_TRUE(same(p.decode(), in)) << "series of " << in.size();
    std::vector<VerificationMinute> iterated;
    for (const auto m : p) iterated.push_back(m);
    EXPECT_TRUE(same(iterated, in));
  }
}

TEST(PackedMinutes, ATypicalMinuteTakesAboutFourBytes) {
  std::vector<VerificationMinute> day;
  for (std::int64_t m = 0; m < 1440; ++m) day.push_back({29'923'200 + m, 40, m % 7 == 0 ? 1u : 0u, 0});
  const PackedMinutes p(day);
  EXPECT_LE(p.packed_bytes(), 1440u * 4 + 8);
  EXPECT_TRUE(same(p.decode(), day));
}

TEST(PackedMinutes, DecodeIntoReusesAndClearsTheBuffer) {
  std::vector<VerificationMinute> buf{{1, 1, 1, 1}, {2, 2, 2, 2}, {3, 3, 3, 3}};
  const PackedMinutes p({{7, 0, 1, 0}});
  p.decode_into(buf);
  ASSERT_EQ(buf.size(), 1u);
  EXPECT_EQ(buf[0].minute, 7);
  EXPECT_EQ(buf[0].fail, 1u);
}

}  // namespace
}  // namespace complyd
