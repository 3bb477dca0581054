// SPDX-License-Identifier: Apache-2.0
// docs/checks.md must stay in step with the registered catalogue.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "checks/registry.hpp"

namespace complyd {
namespace {

std::string section(const std::string& doc, const std::string& id) {
  const std::string head = "## `" + id + "`";
  auto start = doc.find(head);
  if (start == std::string::npos) return {};
  auto end = doc.find("\n## ", start + head.size());
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(DocsCatalogue, EveryCheckIsDocumentedWithEveryParameter) {
  std::ifstream in(std::string(COMPLYD_SOURCE_DIR) + "/docs/checks.md");
  ASSERT_TRUE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  ASSERT_GE(all_checks().size(), 3u);
  for (const CheckDef* def : all_checks()) {
    const auto sec = section(doc, def->info.id);
    ASSERT_FALSE(sec.empty()) << "docs/checks.md has no section for " << def->info.id;
    EXPECT_EQ(sec.find("_Not implemented yet._"), std::string::npos) << def->info.id;
    // The two kinds of findings: the documentation says which each check produces.
    EXPECT_NE(sec.find("Kind: `" + std::string(to_string(def->info.kind)) + "`"), std::string::npos)
        << "docs/checks.md section " << def->info.id << " does not say its kind (Kind: `"
        << to_string(def->info.kind) << "`)";
    for (const auto& p : def->info.params) {
      EXPECT_NE(sec.find("`" + p.name + "`"), std::string::npos)
          << "docs/checks.md section " << def->info.id << " does not name parameter " << p.name;
    }
  }
}

TEST(DocsCatalogue, EveryCheckHasCompleteMetadata) {
  for (const CheckDef* def : all_checks()) {
    const auto& i = def->info;
    EXPECT_FALSE(i.title.empty()) << i.id;
    EXPECT_FALSE(i.rationale.empty()) << i.id;
    EXPECT_FALSE(i.remediation.empty()) << i.id;
    EXPECT_TRUE(static_cast<bool>(def->evaluate)) << i.id;
    if (i.id != "source-unavailable") {
      EXPECT_FALSE(i.checklist_items.empty()) << i.id;
      EXPECT_FALSE(i.needs.empty()) << i.id;
    }
    EXPECT_FALSE(i.frameworks.empty()) << i.id;
  }
}

}  // namespace
}  // namespace complyd
