// SPDX-License-Identifier: Apache-2.0
// Each check's catalogue parameters (ParamSpecs) are derived from its
// parameter struct: the shown defaults must be the struct's, and every
// spec must set a member of its own.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "checks/params.hpp"
#include "checks/registry.hpp"

namespace complyd {
namespace {

// A value of the same type that differs from `v`.
ParamValue other_than(const ParamValue& v) {
  return std::visit(
      [](auto x) -> ParamValue {
        using T = decltype(x);
        if constexpr (std::is_same_v<T, bool>) return !x;
        else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) return x + 1;
        else if constexpr (std::is_same_v<T, Duration>) return x + Duration{1};
        else if constexpr (std::is_same_v<T, std::string>) return x + "x";
        else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          x.push_back("x");
          return x;
        } else {
          x["x"] = Duration{1};
          return x;
        }
      },
      v);
}

template <class P>
void expect_derived_from(const CheckDef& def) {
  SCOPED_TRACE(def.info.id);
  const P defaults{};
  EXPECT_EQ(default_params(def.info).as<P>(), defaults);
  const auto& specs = def.info.params;
  ASSERT_FALSE(specs.empty());
  const Params base = Params::of(defaults);
  std::vector<P> changed;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    SCOPED_TRACE(specs[i].name);
    EXPECT_EQ(specs[i].type, static_cast<ParamType>(specs[i].default_value.index()));
    // Setting the shown default changes nothing; setting another value does.
    const Params same = def.info.binding.with(base, i, specs[i].default_value);
    EXPECT_EQ(same.as<P>(), defaults);
    const Params other = def.info.binding.with(base, i, other_than(specs[i].default_value));
    changed.push_back(other.as<P>());
    EXPECT_NE(changed.back(), defaults);
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(changed[j], changed[i]) << "same member as " << specs[j].name;
  }
}

TEST(CheckParams, CatalogueDefaultsAreTheDefaultConstructedStruct) {
  const std::map<std::string, std::function<void(const CheckDef&)>> typed{
      {"credential-age", expect_derived_from<CredentialAgeParams>},
      {"rotation-leftover", expect_derived_from<RotationLeftoverParams>},
      {"webhook-secret-strength", expect_derived_from<WebhookSecretStrengthParams>},
      {"signature-failures", expect_derived_from<SignatureFailuresParams>},
      {"offboarding-completeness", expect_derived_from<OffboardingCompletenessParams>},
      {"retention-window", expect_derived_from<RetentionWindowParams>},
      {"audit-coverage", expect_derived_from<AuditCoverageParams>},
      {"credential-unused", expect_derived_from<CredentialUnusedParams>},
      {"leak-scan", expect_derived_from<LeakScanParams>},
      {"attestation-freshness", expect_derived_from<AttestationFreshnessParams>},
  };
  std::size_t seen = 0;
  for (const CheckDef* def : all_checks()) {
    auto it = typed.find(def->info.id);
    if (it == typed.end()) {
      EXPECT_TRUE(def->info.params.empty()) << def->info.id << " has parameters but no struct listed here";
      continue;
    }
    it->second(*def);
    ++seen;
  }
  EXPECT_EQ(seen, typed.size());
}

TEST(CheckParams, AnotherStructIsRefused) {
  const CheckDef* def = find_check("credential-unused");
  ASSERT_NE(def, nullptr);
  const Params wrong = Params::of(CredentialAgeParams{});
  Facts facts;
  EXPECT_THROW(def->evaluate(CheckContext{facts, Time{}, wrong, Severity::medium}), ParamError);
  EXPECT_THROW(Params{}.as<CredentialUnusedParams>(), ParamError);
}

}  // namespace
}  // namespace complyd
