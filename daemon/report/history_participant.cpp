// SPDX-License-Identifier: Apache-2.0
#include "daemon/report/history_participant.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace complyd {

void ReportHistoryParticipant::collected(Facts& facts, Time at) {
  at_ = at;
  // The counters' hourly sums come first: the counters can then go as soon
  // as signature-failures is done with them.
  signatures_ = summarize_signatures(facts, at, std::max(1u, config_.workers));
}

const ReportStatePlan& ReportHistoryParticipant::plan(const Facts& facts) {
  std::call_once(plan_once_, [&] {
    // The stored digests over a connection of its own (the writer's belongs
    // to the cycle's thread).
    sql::Db reader(db_.path(), sql::OpenMode::read_only);
    digests_ = load_state_digests(reader);
    plan_.emplace(facts, std::move(signatures_.delivering), config_, at_);
    attestations_ = plan_->integration_attestations();  // the plan goes with the facts
  });
  return *plan_;
}

ReportHistoryWriter& ReportHistoryParticipant::history() {
  if (!history_) history_.emplace(db_, at_);
  return *history_;
}

std::vector<FactsReader> ReportHistoryParticipant::readers(const Facts& facts, Time, const Writer& writer) {
  // Four ranges per worker: they run last, and smaller ranges let the
  // workers finish together instead of one waiting for the other's tail.
  const std::size_t parts = std::max<std::size_t>(2, 4 * std::size_t{std::max(1u, config_.workers)});
  std::vector<FactsReader> out;
  for (std::size_t part = 0; part < parts; ++part) {
    out.push_back({fmt::format("report states {}/{}", part + 1, parts),
                   {FactKind::customers, FactKind::credentials, FactKind::webhooks, FactKind::attestations},
                   [this, &facts, writer, part, parts] {
                     const ReportStatePlan& p = plan(facts);
                     const std::size_t n = p.customers();
                     p.states(n * part / parts, n * (part + 1) / parts, digests_, [&](ReportHistory&& batch) {
                       writer([this, batch = std::make_shared<ReportHistory>(std::move(batch))] {
                         history().add(batch->customers);
                       }, true);
                     });
                   }});
  }
  return out;
}

void ReportHistoryParticipant::in_transaction(const CycleResults& results) {
  ReportHistory tail;
  tail.checks_complete = results.complete_checks;
  tail.checks_disabled = results.disabled_checks;
  tail.signature_rates = std::move(signatures_.rates);
  tail.attestations = std::move(attestations_);
  history().finish(results.cycle_id, tail);
}

}  // namespace complyd
