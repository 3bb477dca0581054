// SPDX-License-Identifier: Apache-2.0
// Configuration text that once crashed or fooled the loader (found by the
// fuzz targets, docs/fuzzing.md): a dotted key of 400,000 parts overflowed
// toml++'s stack, and a 6,443-character duration wrapped around to 90 days.
// Each must be a configuration error at its file:line:column.
#include <gtest/gtest.h>

#include <string>

#include "config_text.hpp"
#include "daemon/config/toml_bounds.hpp"
#include "model/time.hpp"

namespace complyd {
namespace {

using testing::messages;
using testing::parse_toml;

const std::string kBoundsMinimal = "[inventory]\npath = \"inventory.db\"\n";

// 584 terms of the largest year count and a remainder: 2^64 seconds plus 90 days.
std::string wrapping_duration() {
  std::string s;
  for (int i = 0; i < 584; ++i) s += "1000000000y";
  return s + "942417355y10047616s";
}

TEST(ConfigBounds, ADurationThatWouldWrapAroundIsAnError) {
  const std::string d = wrapping_duration();
  ASSERT_EQ(d.size(), 6443u);
  EXPECT_EQ(parse_duration(d), std::nullopt);
  auto r = parse_toml(kBoundsMinimal + "[checks.credential-age]\nmax_age = { api_token = \"" + d + "\" }\n");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u) << ::testing::PrintToString(messages(r));
  EXPECT_EQ(messages(r)[0],
            "/etc/complyd/complyd.toml:4:25: checks.credential-age.max_age.api_token: a 6443-character value is "
            "not a duration (use a number and a unit: s, m, h, d, w, y; at most 1000000000y in all)");
}

TEST(ConfigBounds, TheLargestDurationStillParses) {
  EXPECT_EQ(parse_duration("1000000000y"), Duration{std::int64_t{1'000'000'000} * 365 * 86400});
  EXPECT_EQ(parse_duration("1000000000y1s"), std::nullopt);
  // What format_duration writes parses back, even as a count of seconds above 1e9.
  const auto d = parse_duration("9021y50d4s");
  ASSERT_TRUE(d);
  EXPECT_EQ(format_duration(*d), "284490576004s");
  EXPECT_EQ(parse_duration(format_duration(*d)), d);
}

TEST(ConfigBounds, AKeyOfThousandsOfPartsIsAnErrorNotACrash) {
  std::string key = "a";
  for (int i = 0; i < 400000; ++i) key += ".a";  // 800 KB: toml++ alone overflows its stack on it
  auto r = parse_toml(kBoundsMinimal + "[schedule]\n" + key + " = 1\n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(messages(r)[0], "/etc/complyd/complyd.toml:4:64: a key or table name of more than 32 dotted parts");
  auto h = parse_toml(kBoundsMinimal + "[" + key + "]\n");
  ASSERT_EQ(h.problems.size(), 1u);
  EXPECT_EQ(messages(h)[0], "/etc/complyd/complyd.toml:3:65: a key or table name of more than 32 dotted parts");
  std::vector<ConfigDiagnostic> problems;
  (void)parse_mutelist("[[rule]]\nid = \"x\"\n" + key + " = 1\n", "/etc/complyd/mutelist.toml", problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].to_string(), "/etc/complyd/mutelist.toml:3:64: a key or table name of more than 32 dotted parts");
}

TEST(ConfigBounds, DeepArraysAndInlineTablesAreAnError) {
  auto r = parse_toml(kBoundsMinimal + "x = " + std::string(40000, '[') + std::string(40000, ']') + "\n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(messages(r)[0], "/etc/complyd/complyd.toml:3:37: arrays and inline tables nested more than 32 deep");
  std::string inline_tables;
  for (int i = 0; i < 40000; ++i) inline_tables += "{a=";
  auto t = parse_toml(kBoundsMinimal + "x = " + inline_tables + "1\n");
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_EQ(messages(t)[0], "/etc/complyd/complyd.toml:3:101: arrays and inline tables nested more than 32 deep");
}

TEST(ConfigBounds, DotsAndBracketsInStringsCommentsAndNumbersDoNotCount) {
  const std::string dots(200, '.');
  const std::string text = kBoundsMinimal + "# " + dots + " [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n" +
                           "[checks.leak-scan]\nignore_email_domains = [\"" + dots + "\", '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', \"\\\"" +
                           dots + "\"]\nmin_entropy_bits_per_char = 3.5\n" +
                           "[\"checks\".\"credential-age\"]\nmax_age = { api_token = \"90d\" }\n";
  const auto p = toml_text_problem(text);
  EXPECT_FALSE(p) << p->line << ":" << p->column << ": " << p->message;
  std::string multi = "x = \"\"\"\n" + dots + "\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n\"\"\"\n";
  const auto q = toml_text_problem(multi);
  EXPECT_FALSE(q) << q->line << ":" << q->column << ": " << q->message;
}

TEST(ConfigBounds, ATextLargerThanOneMebibyteIsAnError) {
  auto r = parse_toml(kBoundsMinimal + "# " + std::string(kMaxTomlBytes, 'x') + "\n");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(messages(r)[0], "/etc/complyd/complyd.toml:1:1: the file is larger than 1024 KiB; is it the right file?");
}

}  // namespace
}  // namespace complyd

namespace complyd {
namespace {

// date::parse left the seconds of "HH:MM" followed by anything but ":SS"
// uninitialised and then rounded them (undefined behaviour; UBSan reported
// "-nan is outside the range of representable values"). Such text is not a
// time; the shapes parse_time accepts still are.
TEST(ParseTimeShape, AMalformedTimeOfDayIsNotATime) {
  for (const char* s : {"2026-51-22 10:051-:", "2026-11-22T10:051", "2026-11-22T10:05:", "2026-11-22T10:05:0x",
                        "2026-11-22T10:05:00+0", "2026-11-22T10:05:00Zjunk", "2026-11-22 10:05",
                        "0-1-2T10:0:0+42:06", "2026-11-22T10:05:00+02:60"}) {
    EXPECT_EQ(parse_time(s), std::nullopt) << s;
  }
  EXPECT_EQ(parse_time("2026-11-22T12:00:00.5+02:00"), parse_time("2026-11-22T10:00:00Z"));
  EXPECT_EQ(parse_time("2026-11-22 10:00:00"), parse_time("2026-11-22T10:00:00Z"));
  EXPECT_EQ(parse_time("2026-11-22T10:00:00"), parse_time("2026-11-22T10:00:00Z"));
  EXPECT_EQ(parse_time("2026-11-22"), parse_time("2026-11-22T00:00:00Z"));
}

}  // namespace
}  // namespace complyd
