// SPDX-License-Identifier: Apache-2.0
// What a cycle records for `complyd report --as-of` (schema/state/0004):
// a pure summary of the facts, computed while the cycle still holds them.
// Metadata, ages and counts only; never a secret value or fingerprint.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "checks/check.hpp"

namespace complyd {

struct Config;

struct CustomerStateRow {
  std::string customer_id;
  std::string_view state_json;  // compact JSON (format 2, see expand_report_state), redacted, in ReportHistory's arena
  std::string digest;           // SHA-256 (hex) of state_json: an unchanged state is not written again
  bool unchanged = false;       // equal to the stored current state: state_json dropped (empty)
};

// The newest trustworthy attestation of a control and the review date it
// sets (attested_at + attestation-freshness's max_age at the time).
struct AttestationReview {
  std::string control;
  Time attested_at{}, review_due{};
};

struct SignatureRateRow {
  std::string customer_id;
  std::int64_t ok = 0, fail = 0, unsigned_processed = 0;
};

struct ReportHistory {
  std::set<std::string> checks_complete;  // filled in by the cycle once the checks have run
  std::set<std::string> checks_disabled;
  std::vector<CustomerStateRow> customers;
  // The state texts, packed: 100k separately allocated strings cost about
  // three times their length (growth slack and allocator overhead).
  std::vector<std::unique_ptr<char[]>> state_chunks;
  std::vector<SignatureRateRow> signature_rates;  // only customers with failed or unsigned deliveries
  std::vector<AttestationReview> attestations;    // integration-wide controls (a customer's are in its state)
};

// The verification window summarised per cycle.
inline constexpr Duration kSignatureRateWindow{3600};

// The counters summed over the window: computed first, so that a cycle can
// drop the counters (most of its memory) before the per-customer states.
struct SignatureSummary {
  std::vector<SignatureRateRow> rates;
  std::unordered_set<std::string> delivering;  // customers with any delivery in the window
};
SignatureSummary summarize_signatures(const Facts& facts, Time now, unsigned workers = 1);

// The per-customer states, in parts: the cycle builds them on several
// threads, by ranges of customers (sorted by id), and hands each batch to the
// writer as soon as it is built, so that the text of 100k states is never
// held at once. Reads the snapshot's customers, credentials and webhooks; the
// plan must not outlive them.
class ReportStatePlan {
 public:
  // `at`: the cycle's time (an attestation dated after it does not count).
  ReportStatePlan(const Facts& facts, std::unordered_set<std::string> delivering, const Config& config,
                  Time at = Time::max());
  ~ReportStatePlan();
  std::size_t customers() const;
  // The integration-wide controls' newest attestations, by control.
  std::vector<AttestationReview> integration_attestations() const;
  // States of customers [from, to), passed to `emit` every `batch` customers.
  // Ranges that do not overlap may be built at the same time.
  void states(std::size_t from, std::size_t to, const std::unordered_map<std::string, std::string>& stored_digests,
              const std::function<void(ReportHistory&&)>& emit, std::size_t batch = 2048) const;

 private:
  struct Index;
  std::unordered_set<std::string> delivering_;
  DurationMap limits_;
  Duration review_interval_;
  std::unique_ptr<Index> index_;
};

// A stored state as the report reads it: format 2 (the positional array the
// cycle writes) expanded to format 1's object (status, environment,
// jurisdiction, name, offboarded_at, deliveries, credentials with path,
// kind, environment, role, basis_at, limit and due_at, webhooks with id,
// platform, status and https, admin_email, attestations with control,
// attested_at and review_due); a format-1 object is returned as it is, and
// any other shape (a damaged row) as an empty object. States written before
// admin_email and attestations were recorded read them as null and [].
nlohmann::json expand_report_state(nlohmann::json stored);

// `stored_digests` (customer -> digest of its current state row): states
// found unchanged are not kept (only their digest), so that a steady-state
// cycle at 100k customers does not hold ~50 MB of text until its commit.
ReportHistory summarize_for_report(const Facts& facts, SignatureSummary signatures, const Config& config,
                                   const std::unordered_map<std::string, std::string>& stored_digests = {},
                                   Time at = Time::max());

}  // namespace complyd
