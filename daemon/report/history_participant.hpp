// SPDX-License-Identifier: Apache-2.0
// The report history's part in every cycle (schema/state/0004): the
// per-customer states are built beside the checks and written batch by batch
// into the cycle's transaction; the cycle's tail (which checks ran, the
// signature rates) is written just before the commit.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/engine/cycle_sink.hpp"
#include "daemon/report/history.hpp"
#include "daemon/report/report_store.hpp"
#include "daemon/util/sqlite.hpp"

namespace complyd {

// One per cycle. `db` is the cycle's writer connection.
class ReportHistoryParticipant : public CycleParticipant {
 public:
  ReportHistoryParticipant(const Config& config, sql::Db& db) : config_(config), db_(db) {}
  void collected(Facts& facts, Time at) override;
  std::vector<FactsReader> readers(const Facts& facts, Time at, const Writer& writer) override;
  void facts_released() override { plan_.reset(); }
  void in_transaction(const CycleResults& results) override;

 private:
  const ReportStatePlan& plan(const Facts& facts);
  ReportHistoryWriter& history();

  const Config& config_;
  sql::Db& db_;
  Time at_{};
  SignatureSummary signatures_;
  std::unordered_map<std::string, std::string> digests_;
  std::optional<ReportStatePlan> plan_;
  std::vector<AttestationReview> attestations_;
  std::once_flag plan_once_;
  std::optional<ReportHistoryWriter> history_;  // the writer thread's only
};

}  // namespace complyd
