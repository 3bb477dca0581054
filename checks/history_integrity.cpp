// SPDX-License-Identifier: Apache-2.0
// history-integrity: the state database's history (cycles, finding events,
// sent e-mails) is a hash chain. The cycle verifies it at the edge (new
// records each cycle, all of them at start-up) and hands the result on as a
// fact; this check turns a break into a critical finding naming the first
// broken record. Nothing repairs the chain: the finding stays open.
#include <fmt/format.h>

#include "checks/check.hpp"

namespace complyd {
namespace {

std::vector<Finding> evaluate(const CheckContext& ctx) {
  const auto& h = ctx.facts.history;
  if (!h.verified || h.intact) return {};
  Finding f;
  f.severity = ctx.severity;
  // One finding per break: the first broken record is its subject.
  f.subject = fmt::format("history:{}:{}", h.table, h.row_id);
  f.title = "The recorded history was altered";
  f.detail = fmt::format("The history chain breaks at {} row {} (record {}): {}. Records up to {} verify.", h.table,
                         h.row_id, h.seq, h.problem, h.head_seq);
  f.remediation = "Treat the state database as tampered with: find who changed it (file access, backups), compare it "
                  "with an earlier export ('complyd history export') or backup, and keep this database as evidence. "
                  "complyd does not repair the chain.";
  f.evidence.emplace_back("table", h.table);
  f.evidence.emplace_back("row_id", std::to_string(h.row_id));
  f.evidence.emplace_back("seq", std::to_string(h.seq));
  f.evidence.emplace_back("verified_through", std::to_string(h.head_seq));
  return {std::move(f)};
}

}  // namespace

const CheckDef& history_integrity_check() {
  static const CheckDef def{
      CheckInfo{
          .id = "history-integrity",
          .title = "The recorded history is intact",
          .default_severity = Severity::critical,
          .checklist_items = {"Audit logs for all credential access and customer lifecycle events"},
          .rationale = "Audit logs should be tamper-resistant: a finding muted, resolved or deleted by editing the "
                       "database, or an e-mail record removed, must not pass unnoticed.",
          .remediation = "Investigate the change to the state database; restore from a backup whose chain verifies.",
          .params = {},
          .frameworks = {{"SOC 2", "CC7.2"}, {"ISO 27001", "A.8.15"}},
          .needs = {FactKind::history},
      },
      evaluate};
  return def;
}

}  // namespace complyd
