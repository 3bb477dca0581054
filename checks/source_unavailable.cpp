// SPDX-License-Identifier: Apache-2.0
// source-unavailable: a source that failed this cycle, a source's rows it
// could not use, and a check that failed. The audit fails closed: a blind
// cycle is a finding, never an "all clear".
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
  // A check that failed confirmed nothing: as blind as a failed source.
  for (const auto& c : ctx.facts.check_failures) {
    Finding f;
    f.severity = ctx.severity;
    f.subject = "check:" + c.check_id;
    f.title = fmt::format("check {} failed", c.check_id);
    f.detail = fmt::format("The check {} stopped with an error ({}); its findings kept their state and it "
                           "confirmed nothing this cycle.",
                           c.check_id, c.error.empty() ? "no detail" : c.error);
    f.remediation = "See the daemon log for the error; correct the facts it names (a source's row), or report the "
                    "error, and run 'complyd audit'.";
    f.evidence.emplace_back("check", c.check_id);
    f.evidence.emplace_back("error", c.error);
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
          .runs_last = true,
      },
      evaluate};
  return def;
}

}  // namespace complyd
