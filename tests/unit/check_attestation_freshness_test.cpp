// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "fact_builders.hpp"

namespace complyd::testing {
namespace {

Attestation attestation(std::string control, std::string customer_id, Time at) {
  return Attestation{std::move(control), std::move(customer_id), "secops:rpatel", at, "REF-1"};
}

const std::vector<std::string> kControls = {"incident_runbook", "access_review", "pci_scope", "iam_rbac_review",
                                            "encryption_at_rest"};

// Every integration-wide control attested 10 days ago; no customers.
Facts attested_integration() {
  Facts f;
  for (const auto& c : kControls) f.attestations.push_back(attestation(c, "", ago(days(10))));
  return f;
}

Customer in(std::string id, std::string jurisdiction, CustomerStatus status = CustomerStatus::active) {
  auto c = customer(std::move(id), status);
  c.jurisdiction = std::move(jurisdiction);
  return c;
}

struct AttestCase {
  const char* name;
  std::function<void(Facts&)> change;
  std::vector<std::string> expected;  // "customer|subject" in report order
  std::string title_part;             // of the first finding
};

class AttestationFreshness : public ::testing::TestWithParam<AttestCase> {};

TEST_P(AttestationFreshness, Cases) {
  const auto& tc = GetParam();
  Facts f = attested_integration();
  tc.change(f);
  auto out = run_check("attestation-freshness", f);
  std::vector<std::string> got;
  for (const auto& x : out) {
    got.push_back(x.customer_id + "|" + x.subject);
    EXPECT_FALSE(x.detail.empty());
    EXPECT_FALSE(x.remediation.empty());
    EXPECT_EQ(std::count_if(x.title.begin(), x.title.end(), [](char c) { return std::isdigit(c); }), 0) << x.title;
  }
  EXPECT_EQ(got, tc.expected) << tc.name;
  if (!out.empty()) {
    EXPECT_NE(out[0].title.find(tc.title_part), std::string::npos) << out[0].title;
  }
}

// Sets the age of the attestation(s) of `control`.
std::function<void(Facts&)> age_of(std::string control, Duration age) {
  return [=](Facts& f) {
    for (auto& a : f.attestations) {
      if (a.control == control) a.attested_at = ago(age);
    }
  };
}

INSTANTIATE_TEST_SUITE_P(
    Edges, AttestationFreshness,
    ::testing::Values(
        AttestCase{"all attested", [](Facts&) {}, {}, ""},
        AttestCase{"access review exactly 365d", age_of("access_review", days(365)), {}, ""},
        AttestCase{"access review one second over", age_of("access_review", days(365) + secs(1)),
                   {"|attestation:access_review"}, "access_review attestation out of date"},
        AttestCase{"runbook missing",
                   [](Facts& f) {
                     std::erase_if(f.attestations, [](const auto& a) { return a.control == "incident_runbook"; });
                   },
                   {"|attestation:incident_runbook"}, "incident_runbook not attested"},
        AttestCase{"pci scope dated in the future", age_of("pci_scope", -days(3)),
                   {"|attestation:pci_scope:future-dated"}, "dated in the future"},
        AttestCase{"within clock skew", age_of("pci_scope", -secs(60)), {}, ""},
        AttestCase{"future and a valid one",
                   [](Facts& f) { f.attestations.push_back(attestation("pci_scope", "", kNow + days(30))); },
                   {"|attestation:pci_scope:future-dated"}, "dated in the future"},
        AttestCase{"newest attestation counts",
                   [](Facts& f) { f.attestations.push_back(attestation("access_review", "", ago(days(800)))); },
                   {}, ""},
        AttestCase{"a customer's attestation does not cover the integration",
                   [](Facts& f) {
                     for (auto& a : f.attestations) {
                       if (a.control == "iam_rbac_review") a.customer_id = "c1";
                     }
                   },
                   {"|attestation:iam_rbac_review"}, "iam_rbac_review not attested"},
        // Per-customer DPAs in regulated jurisdictions.
        AttestCase{"EU customer without DPA", [](Facts& f) { f.customers.push_back(in("c1", "EU")); },
                   {"c1|attestation:dpa"}, "dpa not attested"},
        AttestCase{"UK and California customers without DPA",
                   [](Facts& f) {
                     f.customers.push_back(in("uk", "UK"));
                     f.customers.push_back(in("ca", "US-CA"));
                   },
                   {"uk|attestation:dpa", "ca|attestation:dpa"}, "dpa not attested"},
        AttestCase{"jurisdiction compared without case", [](Facts& f) { f.customers.push_back(in("c1", "eu")); },
                   {"c1|attestation:dpa"}, "dpa not attested"},
        AttestCase{"US customer needs no DPA", [](Facts& f) { f.customers.push_back(in("c1", "US")); }, {}, ""},
        AttestCase{"unknown jurisdiction needs no DPA", [](Facts& f) { f.customers.push_back(in("c1", "")); }, {},
                   ""},
        AttestCase{"offboarded EU customer needs no DPA",
                   [](Facts& f) { f.customers.push_back(in("c1", "EU", CustomerStatus::offboarded)); }, {}, ""},
        AttestCase{"offboarding EU customer still needs one",
                   [](Facts& f) { f.customers.push_back(in("c1", "EU", CustomerStatus::offboarding)); },
                   {"c1|attestation:dpa"}, "dpa not attested"},
        AttestCase{"DPA exactly 365d",
                   [](Facts& f) {
                     f.customers.push_back(in("c1", "EU"));
                     f.attestations.push_back(attestation("dpa", "c1", ago(days(365))));
                   },
                   {}, ""},
        AttestCase{"DPA one second over",
                   [](Facts& f) {
                     f.customers.push_back(in("c1", "EU"));
                     f.attestations.push_back(attestation("dpa", "c1", ago(days(365) + secs(1))));
                   },
                   {"c1|attestation:dpa"}, "dpa attestation out of date"},
        AttestCase{"another customer's DPA does not count",
                   [](Facts& f) {
                     f.customers.push_back(in("c1", "EU"));
                     f.attestations.push_back(attestation("dpa", "c2", ago(days(5))));
                     f.attestations.push_back(attestation("dpa", "", ago(days(5))));
                   },
                   {"c1|attestation:dpa"}, "dpa not attested"}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
      return n;
    });

TEST(AttestationFreshnessCheck, NothingAttestedReportsEveryControl) {
  Facts f;
  auto out = run_check("attestation-freshness", f);
  ASSERT_EQ(out.size(), kControls.size());
  for (std::size_t i = 0; i < kControls.size(); ++i) {
    EXPECT_EQ(out[i].subject, "attestation:" + kControls[i]);
    EXPECT_TRUE(out[i].customer_id.empty());
    EXPECT_EQ(out[i].severity, Severity::medium);
  }
}

TEST(AttestationFreshnessCheck, StaleFindingCarriesWhoWhenAndReference) {
  Facts f = attested_integration();
  for (auto& a : f.attestations) {
    if (a.control == "access_review") {
      a.attested_at = ago(days(400));
      a.evidence_ref = "AR-2025-Q3";
    }
  }
  auto out = run_check("attestation-freshness", f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("2025-10-18"), std::string::npos) << out[0].detail;
  EXPECT_NE(out[0].detail.find("365d"), std::string::npos) << out[0].detail;
  std::map<std::string, std::string> ev(out[0].evidence.begin(), out[0].evidence.end());
  EXPECT_EQ(ev["attested_by"], "secops:rpatel");
  EXPECT_EQ(ev["evidence_ref"], "AR-2025-Q3");
  EXPECT_EQ(ev["age_days"], "400");
}

TEST(AttestationFreshnessCheck, ControlsAndJurisdictionsAreConfigurable) {
  Facts f = attested_integration();
  f.customers.push_back(in("br", "BR"));
  auto out = run_check<AttestationFreshnessParams>("attestation-freshness", f, kNow, [](auto& p) {
    p.controls = {"incident_runbook", "vendor_review"};
    p.regulated_jurisdictions = {"BR"};
    p.max_age = days(180);
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subject, "attestation:vendor_review");
  EXPECT_EQ(out[1].customer_id, "br");
  EXPECT_EQ(out[1].subject, "attestation:dpa");
}

}  // namespace
}  // namespace complyd::testing
