// SPDX-License-Identifier: Apache-2.0
// The compact value types facts use for repeated and hashed texts.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "model/fingerprint.hpp"
#include "model/symbol.hpp"

namespace complyd {
namespace {

TEST(Symbol, EqualTextsShareOneCopy) {
  const std::string built = std::string("token_") + "rotated";
  Symbol a("token_rotated"), b(built), c("token_read");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.data(), b.data()) << "one copy of the text";
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a == "token_rotated");
  EXPECT_TRUE(a == std::string_view("token_rotated"));
  EXPECT_TRUE(Symbol().empty());
  EXPECT_EQ(Symbol(), Symbol(""));
  EXPECT_EQ(fmt::format("[{}]", a), "[token_rotated]");
  const std::string& s = a;
  EXPECT_EQ(s, "token_rotated");
  EXPECT_LT(c, a);  // by text
  std::unordered_set<Symbol> set{a, b, c};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Symbol, InterningFromManyThreadsGivesOneEntryPerText) {
  std::vector<std::thread> threads;
  std::vector<std::vector<Symbol>> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) got[t].push_back(Symbol("sym-test-" + std::to_string(i % 50)));
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 1; t < 4; ++t) {
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(got[t][i].data(), got[0][i].data());
  }
}

TEST(Fingerprint, EqualOnlyForEqualTexts) {
  const std::string hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::string other = hex;
  other.back() = '0';  // same length, same first characters: only the hashes tell them apart
  EXPECT_EQ(Fingerprint(hex), Fingerprint(std::string(hex)));
  EXPECT_FALSE(Fingerprint(hex) == Fingerprint(other));
  EXPECT_FALSE(Fingerprint("abcd") == Fingerprint("abcde"));
  EXPECT_FALSE(Fingerprint("abcd") == Fingerprint("ABCD"));
  EXPECT_TRUE(Fingerprint().empty());
  EXPECT_TRUE(Fingerprint("").empty());
  EXPECT_FALSE(Fingerprint("a").empty());
  EXPECT_EQ(Fingerprint(hex).prefix(), "01234567");
  EXPECT_EQ(Fingerprint("abcd").prefix(), "ab");  // at most half of a short one
  EXPECT_EQ(Fingerprint("a").prefix(), "");
  EXPECT_EQ(Fingerprint::Hash()(Fingerprint(hex)), Fingerprint::Hash()(Fingerprint(hex)));
  EXPECT_LE(sizeof(Fingerprint), 32u);
}

}  // namespace
}  // namespace complyd
