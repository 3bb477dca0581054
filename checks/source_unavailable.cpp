// SPDX-License-Identifier: Apache-2.0
// source-unavailable: a source that failed this cycle. The audit fails closed:
// a blind cycle is a finding, never an "all clear".
#include <fmt/format.h>

#include "checks/check.hpp"

namespace complyd {
namespace {

std::vector<Finding> evaluate(const CheckContext& ctx) {
  std::vector<Finding> out;
  for (const auto& s : ctx.facts.sources) {
    if (s.ok && !s.problems.empty()) {
      // Rejected rows are facts nobody evaluated: never a silent pass.
      Finding f;
      f.severity = Severity::medium;
      f.subject = "source:" + s.name + ":rows";
      f.title = fmt::format("source {} has rows it could not use", s.name);
      f.detail = fmt::format("The {} source '{}' rejected {} row(s), first: {}; those rows were not evaluated.",
                             s.type, s.name, s.problems.size(), s.problems.front());
      f.remediation = "Correct the rejected rows at the source (see the daemon log for every one).";
      f.evidence.emplace_back("rejected_rows", std::to_string(s.problems.size()));
      out.push_back(std::move(f));
    }
    if (s.ok) continue;
    std::string kinds;
    for (auto k : s.provides) kinds += (kinds.empty() ? "" : ", ") + std::string(to_string(k));
    Finding f;
    f.severity = ctx.severity;
    f.subject = "source:" + s.name;
    f.title = fmt::format("source {} unavailable", s.name);
    f.detail = fmt::format("The {} source '{}' failed ({}); checks that need {} kept their previous findings "
                           "and could not confirm anything this cycle.",
                           s.type, s.name, s.error.empty() ? "no detail" : s.error, kinds);
    f.remediation = "Fix the source (path, permissions, network, credentials) and run 'complyd audit'; until "
                    "then the audit is blind for these facts.";
    f.evidence.emplace_back("type", s.type);
    f.evidence.emplace_back("error", s.error);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const CheckDef& source_unavailable_check() {
  static const CheckDef def{
      CheckInfo{
          .id = "source-unavailable",
          .title = "Every source was read",
          .default_severity = Severity::high,
          .checklist_items = {},
          .rationale = "An audit that cannot read its sources must say so instead of reporting a clean state.",
          .remediation = "Restore the source and re-run the audit.",
          .params = {},
          .frameworks = {{"SOC 2", "CC7.2"}},
          .needs = {},
      },
      evaluate};
  return def;
}

}  // namespace complyd
