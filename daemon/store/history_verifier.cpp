// SPDX-License-Identifier: Apache-2.0
#include "daemon/store/history_verifier.hpp"

#include "daemon/log/log.hpp"

namespace complyd {

HistoryVerifyParticipant::HistoryVerifyParticipant(StateStore& store) : state_(store.chain_verified()) {
  // Started here, before collection, so that it overlaps it.
  worker_ = std::jthread([this, path = store.db().path()] {
    std::lock_guard lock(state_.mutex);
    if (state_.broken) {
      result_ = *state_.broken;
      return;
    }
    try {
      sql::Db db(path, sql::OpenMode::read_only);
      auto v = chain::verify(db, state_.checkpoint);
      result_ = v.result;
      state_.checkpoint = v.checkpoint;
    } catch (const std::exception& e) {
      // A chain that cannot be read is not intact (a dropped column, a
      // damaged file): a finding, never a silent pass.
      result_ = HistoryIntegrity{};
      result_.verified = true;
      result_.intact = false;
      result_.table = "history_chain";
      result_.seq = state_.checkpoint.seq + 1;
      result_.head_seq = state_.checkpoint.seq;
      result_.problem = std::string("the chain cannot be read: ") + e.what();
    }
    if (!result_.intact) {
      CLOG(error) << "history chain broken at " << result_.table << " row " << result_.row_id << " (record "
                  << result_.seq << "): " << result_.problem;
      state_.broken = result_;
    } else {
      CLOG(debug) << "history chain: " << result_.records << " new records verified, head " << result_.head_seq;
    }
  });
}

void HistoryVerifyParticipant::collected(Facts& facts, Time /*at*/) {
  if (worker_.joinable()) worker_.join();
  facts.history = result_;
}

}  // namespace complyd
