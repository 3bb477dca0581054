// SPDX-License-Identifier: Apache-2.0
#include "daemon/report/report_store.hpp"
#include "model/time.hpp"

#include <map>
#include <unordered_map>

#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/store/chain.hpp"
#include "daemon/store/state_store.hpp"
#include "daemon/util/crypto.hpp"

namespace complyd {

namespace {


std::string set_json(const std::set<std::string>& s) { return nlohmann::json(s).dump(); }

// Nullopt: not recorded (cycles before migration 4), or unreadable (logged).
std::optional<std::set<std::string>> set_from(const std::optional<std::string>& text, std::int64_t cycle_id) {
  if (!text) return std::nullopt;
  try {
    return nlohmann::json::parse(*text).get<std::set<std::string>>();
  } catch (const nlohmann::json::exception&) {
    CLOG(error) << "state database: the checks recorded for cycle " << cycle_id << " cannot be read";
    return std::nullopt;
  }
}

std::string attestations_json(const std::vector<AttestationReview>& list) {
  auto a = nlohmann::json::array();
  for (const auto& r : list) a.push_back({r.control, to_unix(r.attested_at), to_unix(r.review_due)});
  return a.dump();
}

// control -> review date; what cannot be read is left out (and logged).
std::map<std::string, Time> reviews_from(std::string_view text, std::int64_t cycle_id) {
  std::map<std::string, Time> out;
  try {
    for (const auto& r : nlohmann::json::parse(text)) {
      if (r.is_array() && r.size() == 3 && r[0].is_string() && r[2].is_number_integer()) {
        out[r[0].get<std::string>()] = from_unix(r[2].get<std::int64_t>());
      }
    }
  } catch (const nlohmann::json::exception&) {
    CLOG(error) << "state database: the attestations recorded for cycle " << cycle_id << " cannot be read";
  }
  return out;
}

}  // namespace

std::unordered_map<std::string, std::string> load_state_digests(sql::Db& db) {
  std::unordered_map<std::string, std::string> out;
  sql::Stmt s(db, "SELECT customer_id, digest FROM report_customer_state WHERE valid_to IS NULL");
  while (s.step()) out.emplace(s.text(0), s.text(1));
  return out;
}

ReportHistoryWriter::ReportHistoryWriter(sql::Db& db, Time at)
    : db_(db),
      at_(at),
      current_(load_state_digests(db)),  // customer -> digest of its open row
      close_(db, "UPDATE report_customer_state SET valid_to = ? WHERE customer_id = ? AND valid_to IS NULL"),
      insert_(db,
              "INSERT INTO report_customer_state(customer_id, valid_from, digest, state) VALUES (?,?,?,?) "
              "ON CONFLICT(customer_id, valid_from) DO UPDATE SET valid_to = NULL, digest = excluded.digest, "
              "state = excluded.state") {}

void ReportHistoryWriter::add(const std::vector<CustomerStateRow>& rows) {
  for (const auto& c : rows) {
    const std::string_view state = c.state_json;  // redacted by the summary
    const std::string& digest = c.digest;
    auto it = current_.find(c.customer_id);
    const bool had_row = it != current_.end();
    const bool same = had_row && it->second == digest;
    if (had_row) current_.erase(it);
    if (same) continue;
    if (c.unchanged) {
      // Found unchanged when the cycle started, so its text was not kept;
      // another process has written since. The next cycle records it.
      CLOG(warning) << "report history: the state of customer " << c.customer_id
                    << " changed during the cycle; it is recorded by the next cycle";
      continue;
    }
    if (had_row) {
      close_.reset();
      close_.bind(1, to_unix(at_)).bind(2, c.customer_id).run();
    }
    insert_.reset();
    insert_.bind(1, c.customer_id).bind(2, to_unix(at_)).bind(3, digest).bind(4, state).run();
  }
}

void ReportHistoryWriter::finish(std::int64_t cycle_id, const ReportHistory& tail) {
  {
    sql::Stmt st(db_,
                 "INSERT INTO report_cycles(cycle_id, at, checks_complete, checks_disabled, attestations) "
                 "VALUES (?,?,?,?,?)");
    st.bind(1, cycle_id)
        .bind(2, to_unix(at_))
        .bind(3, set_json(tail.checks_complete))
        .bind(4, set_json(tail.checks_disabled))
        .bind(5, redact(attestations_json(tail.attestations)));
    st.run();
  }
  add(tail.customers);
  // Customers no longer in the inventory: their state ends here.
  for (const auto& [id, digest] : current_) {
    close_.reset();
    close_.bind(1, to_unix(at_)).bind(2, id).run();
  }
  current_.clear();
  sql::Stmt rate(db_,
                 "INSERT INTO report_signature_rates(cycle_id, customer_id, ok, fail, unsigned) VALUES (?,?,?,?,?)");
  for (const auto& r : tail.signature_rates) {
    rate.reset();
    rate.bind(1, cycle_id).bind(2, r.customer_id).bind(3, r.ok).bind(4, r.fail).bind(5, r.unsigned_processed).run();
  }
}

report::History load_report_history(sql::Db& db, Time as_of, Time period_start, ReportRead read,
                                    const std::string& customer) {
  report::History h;
  const auto t = to_unix(as_of);
  const auto head = chain::read_head(db);
  h.chain_seq = head.seq;
  h.chain_hash = head.hash;
  {
    sql::Stmt s(db,
                "SELECT id, check_id, customer_id, subject, title, remediation, first_seen FROM findings "
                "WHERE first_seen <= ? ORDER BY id");
    s.bind(1, t);
    while (s.step()) h.findings.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), from_unix(s.i64(6))});
  }
  h.each_event = [&db, t](const std::function<void(const report::EventRow&)>& fn) {
    sql::Stmt s(db,
                "SELECT finding_id, cycle_id, at, event, to_status, severity, coalesce(actor,''), coalesce(reason,'') "
                "FROM finding_events WHERE at <= ? ORDER BY id");
    s.bind(1, t);
    report::EventRow e;
    while (s.step()) {
      e = {s.text(0), s.opt_i64(1), from_unix(s.i64(2)), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7)};
      fn(e);
    }
  };
  {
    // The period's cycles, and the last cycle before it (so a period without
    // cycles still knows the state). Cycles are ordered by id: several can
    // share a time under an injected clock. A cycle counts from its start,
    // the time its events and customer states are stamped with.
    sql::Stmt s(db,
                "SELECT c.id, c.started_at, coalesce(c.finished_at, c.started_at), c.status, c.sources, "
                "r.checks_complete, r.checks_disabled, coalesce(r.attestations, '[]') "
                "FROM cycles c LEFT JOIN report_cycles r ON r.cycle_id = c.id "
                "WHERE c.started_at <= ?1 AND c.id >= coalesce((SELECT max(id) FROM cycles "
                "WHERE started_at <= ?1 AND started_at < ?2), 0) "
                "ORDER BY c.id");
    s.bind(1, t).bind(2, to_unix(period_start));
    while (s.step()) {
      report::CycleRow c;
      c.id = s.i64(0);
      c.started_at = from_unix(s.i64(1));
      c.at = from_unix(s.i64(2));
      c.status = s.text(3);
      c.sources = sources_from_json(s.text_view(4), c.id);
      c.checks_complete = set_from(s.opt_text(5), c.id);
      c.checks_disabled = set_from(s.opt_text(6), c.id);
      c.attestation_reviews = reviews_from(s.text_view(7), c.id);
      h.cycles.push_back(std::move(c));
    }
  }
  // In customer order (the primary key's), so a streamed read needs no sort.
  const std::string where =
      "WHERE valid_from <= ?1 AND (valid_to IS NULL OR valid_to > ?1)" +
      std::string(customer.empty() ? "" : " AND customer_id = ?2");
  h.each_customer = [&db, t, where, customer](const std::function<void(report::CustomerStateRow&&)>& fn) {
    sql::Stmt s(db, "SELECT customer_id, state FROM report_customer_state " + where + " ORDER BY customer_id");
    s.bind(1, t);
    if (!customer.empty()) s.bind(2, customer);
    while (s.step()) {
      // A damaged row (not JSON, or neither format) is unreadable, never an empty (clean) state.
      try {
        auto stored = nlohmann::json::parse(s.text_view(1));
        if (stored.is_object() || (stored.is_array() && !stored.empty() && stored[0] == 2)) {
          fn({s.text(0), expand_report_state(std::move(stored))});
          continue;
        }
      } catch (const nlohmann::json::exception&) {
      }
      CLOG(error) << "state database: the report state of customer " << s.text(0) << " cannot be read";
      fn({s.text(0), nlohmann::json::object(), true});
    }
  };
  if (!h.cycles.empty()) {
    sql::Stmt s(db,
                "SELECT cycle_id, customer_id, ok, fail, unsigned FROM report_signature_rates WHERE cycle_id >= ? AND "
                "cycle_id <= ? ORDER BY cycle_id, customer_id");
    s.bind(1, h.cycles.front().id).bind(2, h.cycles.back().id);
    while (s.step()) h.signatures.push_back({s.i64(0), s.text(1), s.i64(2), s.i64(3), s.i64(4)});
  }
  if (read == ReportRead::streamed) {
    sql::Stmt s(db, "SELECT count(*) FROM report_customer_state " + where);
    s.bind(1, t);
    if (!customer.empty()) s.bind(2, customer);
    if (s.step()) h.customer_count = static_cast<std::size_t>(s.i64(0));
    return h;
  }
  // Read whole: the cursors run once, now (the tests and small reports).
  h.each_event([&](const report::EventRow& e) { h.events.push_back(e); });
  h.each_customer([&](report::CustomerStateRow&& row) { h.customers.push_back(std::move(row)); });
  h.each_event = nullptr;
  h.each_customer = nullptr;
  return h;
}

ReportSnapshot::ReportSnapshot(sql::Db& db) : db_(db) { db_.exec("BEGIN"); }

ReportSnapshot::~ReportSnapshot() {
  try {
    db_.exec("ROLLBACK");
  } catch (...) {  // a read transaction: nothing to lose
  }
}

}  // namespace complyd
