// SPDX-License-Identifier: Apache-2.0
// The tamper-evident history: every evidence row (a committed cycle, a
// finding event, an e-mail marked sent) carries its place in one hash chain
// (chain_seq) and the SHA-256 of the previous record's hash followed by its
// canonical form (chain_hash). The canonical form is built from the row's own
// columns, so verification recomputes it from what is stored: an edited row,
// a deleted one (a gap) and an inserted one (no chain entry, or a repeated
// sequence) break the chain. docs/history-chain.md has the format.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/util/sqlite.hpp"
#include "model/facts.hpp"
#include "model/time.hpp"

namespace complyd::chain {

inline constexpr std::string_view kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

// One column value of a record: the chain knows integers, texts and NULL.
struct Value {
  enum class Kind : std::uint8_t { null, integer, text } kind = Kind::null;
  std::int64_t i = 0;
  std::string_view s;
  static Value none() { return {}; }
  static Value of(std::int64_t v) { return {Kind::integer, v, {}}; }
  static Value of(std::string_view v) { return {Kind::text, 0, v}; }
  static Value of(const std::optional<std::string>& v) { return v ? of(std::string_view(*v)) : none(); }
  static Value of(const std::optional<std::int64_t>& v) { return v ? of(*v) : none(); }
};

// The chained columns of each table, in the canonical (sorted) order.
inline constexpr const char* kEventColumns[] = {"actor", "at", "cycle_id", "event", "finding_id",
                                                "from_status", "id", "reason", "severity", "to_status"};
inline constexpr const char* kCycleColumns[] = {"checks_run", "checks_skipped", "error", "finished_at", "id",
                                                "open_total", "opened", "reopened", "resolved", "sources",
                                                "sources_failed", "sources_ok", "started_at", "status"};
inline constexpr const char* kOutboxColumns[] = {"customer_id", "id", "idempotency_key", "kind", "message_id",
                                                 "recipients", "sent_at", "status", "subject"};

// {"record":{<columns, sorted>},"seq":N,"table":"T"}: no whitespace, UTF-8,
// integers, strings escaped as Python's json.dumps(ensure_ascii=False).
void canonical(std::string& out, std::string_view table, std::int64_t seq, const char* const* names,
               const Value* values, std::size_t n);
// SHA-256 hex of prev_hash (hex) followed by the canonical form.
std::string link_hash(std::string_view prev_hash, std::string_view canonical);

struct Head {
  std::int64_t seq = 0;
  std::string hash{kGenesis};
};
// The head the store keeps (history_chain); the genesis before any record.
Head read_head(sql::Db& db);

// Appends records in one transaction: reads the head when made, save()
// stores the new head (call it before the transaction commits).
class Writer {
 public:
  explicit Writer(sql::Db& db);
  struct Link {
    std::int64_t seq;
    const std::string& hash;
  };
  template <std::size_t N>
  Link append(std::string_view table, const char* const (&names)[N], const Value (&values)[N]) {
    return append(table, names, values, N);
  }
  Link append(std::string_view table, const char* const* names, const Value* values, std::size_t n);
  // A record object already in canonical form (a stored row being chained).
  Link append_json(std::string_view table, std::string_view record);
  void save();
  const Head& head() const { return head_; }

 private:
  sql::Db& db_;
  Head head_;
  bool dirty_ = false;
  std::string buf_, record_;
};

// Chains a finding_events row the caller is about to insert: every writer of
// finding_events goes through here (the cycle's writer binds the same values).
struct EventRow {
  std::int64_t id;
  std::string_view finding_id;
  std::optional<std::int64_t> cycle_id;
  std::int64_t at;
  std::string_view event;
  std::optional<std::string_view> from_status;
  std::string_view to_status;
  std::string_view severity;
  std::optional<std::string_view> actor;
  std::optional<std::string_view> reason;
};
Writer::Link append_event(Writer& w, const EventRow& e);
// The next finding_events id (ids are given explicitly: they are chained).
std::int64_t next_event_id(sql::Db& db);
// Chains the outbox row `id` just marked sent (the caller's transaction).
void chain_sent_message(sql::Db& db, std::int64_t id);

// Migration 8: chains the rows already stored (cycles, then finding events,
// then sent messages, each in id order).
void chain_existing(sql::Db& db);

// One record as the chain holds it.
struct Record {
  std::string table;
  std::int64_t id = 0;
  std::int64_t seq = 0;
  std::optional<Time> at;  // finished_at, at, sent_at
  std::string canonical;   // recomputed from the row
  std::string record_json; // the "record" object of the canonical form
  std::string prev_hash;   // the stored hash of the record before
  std::string stored_hash;
};

// Where verification starts: the genesis, or a record verified before.
struct Checkpoint {
  std::int64_t seq = 0;
  std::string hash{kGenesis};
  std::int64_t event_id = 0;  // finding_events are read from id > event_id
};

// Where a process's verification got to, kept with its store: the daemon
// verifies only newer records each cycle.
struct VerifyState {
  std::mutex mutex;
  Checkpoint checkpoint;
  std::optional<HistoryIntegrity> broken;  // stays reported: nothing repairs the chain
};

struct Verification {
  HistoryIntegrity result;  // intact, or the first broken record
  Checkpoint checkpoint;    // the last record verified intact
};

// Walks the chain from `from` (the genesis: everything), stops at the first
// broken record. `visit` (optional) sees each record that verified.
Verification verify(sql::Db& db, const Checkpoint& from = {},
                    const std::function<void(const Record&)>& visit = {});

}  // namespace complyd::chain
