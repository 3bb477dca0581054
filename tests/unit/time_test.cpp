// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "model/time.hpp"

namespace complyd {
namespace {

TEST(ParseTime, AcceptsRfc3339Forms) {
  const auto base = parse_time("2026-11-22T10:00:00Z");
  ASSERT_TRUE(base);
  EXPECT_EQ(format_time(*base), "2026-11-22T10:00:00Z");
  EXPECT_EQ(parse_time("2026-11-22T11:00:00+01:00"), base);
  EXPECT_EQ(parse_time("2026-11-22T10:00:00.250Z"), base);
  EXPECT_EQ(parse_time("2026-11-22 10:00:00"), base);
  EXPECT_EQ(format_time(*parse_time("2026-11-22")), "2026-11-22T00:00:00Z");
}

TEST(ParseTime, RejectsGarbage) {
  for (const char* s : {"", "yesterday", "2026-13-40", "2026-11-22T10:00:00Zjunk", "1700000000"}) {
    EXPECT_FALSE(parse_time(s)) << s;
  }
}

TEST(ParseDuration, UnitsAndCompounds) {
  EXPECT_EQ(parse_duration("90d"), Duration{90 * 86400});
  EXPECT_EQ(parse_duration("1h30m"), Duration{5400});
  EXPECT_EQ(parse_duration("45s"), Duration{45});
  EXPECT_EQ(parse_duration("2w"), Duration{14 * 86400});
  EXPECT_EQ(parse_duration("1y"), Duration{365 * 86400});
  for (const char* s : {"", "90", "d", "-1d", "1.5h", "10x", "1h 30m"}) EXPECT_FALSE(parse_duration(s)) << s;
}

}  // namespace
}  // namespace complyd

namespace complyd {
namespace {
TEST(ParseTime, FastPathAgreesWithTheGeneralParser) {
  // The fast path handles the canonical form; variants go through date::parse.
  EXPECT_EQ(parse_time("2024-02-29T23:59:59Z"), parse_time("2024-02-29T23:59:59+00:00"));
  EXPECT_EQ(format_time(*parse_time("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
  EXPECT_FALSE(parse_time("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(parse_time("2026-11-22T24:00:00Z"));
  EXPECT_FALSE(parse_time("2026-1a-22T10:00:00Z"));
  EXPECT_EQ(format_time(*parse_time("1970-01-01T00:00:00Z")), "1970-01-01T00:00:00Z");
}
}  // namespace
}  // namespace complyd

#include <date/date.h>

#include "checks/support.hpp"

namespace complyd {
namespace {
// The hand-written formatter against date::format, which it replaces for
// four-digit years and falls back to otherwise.
TEST(FormatTime, AgreesWithDateFormatInsideAndOutsideFourDigitYears) {
  for (const std::int64_t unix_s : std::initializer_list<std::int64_t>{
           0, 59, 86399, 951868799 /* 2000-02-29T23:59:59 */, 1795349999, -30610224000 /* 1000-01-01 */,
           -30610224001, 253402300799 /* 9999-12-31T23:59:59 */, 253402300800, -62198755200}) {
    const Time t{Duration{unix_s}};
    EXPECT_EQ(format_time(t), date::format("%Y-%m-%dT%H:%M:%SZ", t)) << unix_s;
    EXPECT_EQ(date_only(t), date::format("%Y-%m-%d", t)) << unix_s;
    EXPECT_EQ(format_time(t), format_time(t));
  }
}
}  // namespace
}  // namespace complyd
