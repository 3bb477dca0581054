// SPDX-License-Identifier: Apache-2.0
// UTF-8 at the edge (issue 19): the helper, and collect_facts' last line of
// defence for a source that lets a bad byte through.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "daemon/sources/source.hpp"
#include "daemon/util/utf8.hpp"

namespace complyd {
namespace {

TEST(Utf8, ValidTextIsKeptAndEachBadSequenceBecomesOneReplacementCharacter) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("M\xC3\xBCller \xE2\x82\xAC"));  // Müller €
  EXPECT_EQ(to_valid_utf8("M\xC3\xBCller"), "M\xC3\xBCller");
  EXPECT_FALSE(is_valid_utf8("ex\xFF" "ample"));
  EXPECT_EQ(to_valid_utf8("ex\xFF" "ample"), "ex\xEF\xBF\xBD" "ample");
  EXPECT_FALSE(is_valid_utf8("pro\xC3"));                      // cut short
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                     // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                 // a UTF-16 surrogate
  std::string s = "a\xFE" "b";
  EXPECT_TRUE(make_valid_utf8(s));
  EXPECT_EQ(s, "a\xEF\xBF\xBD" "b");
  EXPECT_FALSE(make_valid_utf8(s));
}

// A source that delivers what some API or file name gave it, unchecked.
class CarelessSource final : public Source {
 public:
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return name_; }
  std::vector<FactKind> provides() const override { return {FactKind::webhooks, FactKind::file_scans}; }
  void collect(Facts& into, Time, std::vector<std::string>& problems) override {
    into.webhooks.push_back({"wh_1", "cust_1", "raise", "http://hooks.example.org/\xFF", {}, {}});
    into.webhooks.push_back({"wh_2", "cust_2", "raise", "https://hooks.example.org/", {}, {}});
    LeakHit hit;
    hit.file = "/var/log/sync/caf\xE9.log";  // Latin-1
    into.leak_hits.push_back(hit);
    problems.push_back("/var/log/sync/caf\xE9.log: cannot read");
  }

 private:
  std::string name_ = "careless";
};

TEST(CollectFacts, TextThatIsNotUtf8IsRepairedAndReportedWhateverTheSource) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<CarelessSource>());
  const Facts f = collect_facts(sources, Time{});
  ASSERT_EQ(f.webhooks.size(), 2u);
  EXPECT_EQ(f.webhooks[0].notification_url, "http://hooks.example.org/\xEF\xBF\xBD");
  EXPECT_EQ(f.webhooks[1].notification_url, "https://hooks.example.org/");
  ASSERT_EQ(f.leak_hits.size(), 1u);
  EXPECT_TRUE(is_valid_utf8(f.leak_hits[0].file));
  ASSERT_EQ(f.sources.size(), 1u);
  const auto& st = f.sources[0];
  EXPECT_TRUE(st.ok);
  ASSERT_EQ(st.problems.size(), 3u);
  for (const auto& p : st.problems) EXPECT_TRUE(is_valid_utf8(p)) << p;
  EXPECT_EQ(st.problems[1], "webhook subscription #1: text that is not valid UTF-8; invalid bytes replaced with U+FFFD");
  EXPECT_EQ(st.problems[2], "leak hit #1: text that is not valid UTF-8; invalid bytes replaced with U+FFFD");
}

}  // namespace
}  // namespace complyd
