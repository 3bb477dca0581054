// SPDX-License-Identifier: Apache-2.0
#include "daemon/report/history.hpp"
#include "model/time.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <nlohmann/json.hpp>

#include "checks/params.hpp"
#include "checks/support.hpp"
#include "daemon/config/config.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/report/json_text.hpp"
#include "daemon/util/crypto.hpp"
#include "daemon/util/parallel.hpp"

namespace complyd {

namespace {

// The state is written as text directly (JSON, format 2 below): 100k of
// them a first cycle, too many for a JSON tree each.
using json_text::put_int;
using json_text::put_string;

void put_opt_unix(std::string& out, const std::optional<Time>& t) {
  if (t) put_int(out, to_unix(*t)); else out += "null";
}

}  // namespace

SignatureSummary summarize_signatures(const Facts& facts, Time now, unsigned workers) {
  const std::int64_t from_minute = to_unix(now - kSignatureRateWindow) / 60;
  const std::int64_t to_minute = to_unix(now) / 60;
  // The counters are packed: each series is decoded whole to sum its last
  // hour (13M minutes at 100k customers). In contiguous parts, merged in
  // order, so the result does not depend on `workers`.
  const auto& all = facts.verifications;
  const std::size_t parts = std::clamp<std::size_t>(workers, 1, std::max<std::size_t>(1, all.size()));
  std::vector<SignatureSummary> out(parts);
  std::vector<std::function<void()>> tasks;
  for (std::size_t p = 0; p < parts; ++p) {
    tasks.emplace_back([&, p] {
      for (std::size_t i = all.size() * p / parts; i < all.size() * (p + 1) / parts; ++i) {
        const auto& series = all[i];
        SignatureRateRow r{series.customer_id};
        for (const auto& m : series.minutes) {
          if (m.minute < from_minute || m.minute >= to_minute) continue;
          r.ok += m.ok;
          r.fail += m.fail;
          r.unsigned_processed += m.unsigned_processed;
        }
        if (r.ok + r.fail + r.unsigned_processed > 0) out[p].delivering.insert(series.customer_id);
        if (r.fail + r.unsigned_processed > 0) out[p].rates.push_back(std::move(r));
      }
    });
  }
  run_parallel(tasks, static_cast<unsigned>(parts));
  for (std::size_t p = 1; p < parts; ++p) {
    std::move(out[p].rates.begin(), out[p].rates.end(), std::back_inserter(out[0].rates));
    out[0].delivering.merge(out[p].delivering);
  }
  return std::move(out[0]);
}

struct ReportStatePlan::Index {
  std::unordered_map<std::string_view, std::vector<const Credential*>> creds;
  // customer ("" for the integration) -> control -> its newest trustworthy attestation
  std::unordered_map<std::string_view, std::map<std::string_view, const Attestation*>> attestations;
  std::unordered_map<std::string_view, std::vector<const WebhookSubscription*>> hooks;
  std::vector<const Customer*> customers;  // by id
};

ReportStatePlan::ReportStatePlan(const Facts& facts, std::unordered_set<std::string> delivering, const Config& config,
                                 Time at)
    : delivering_(std::move(delivering)),
      limits_(credential_age_params(config.checks).max_age),
      review_interval_(attestation_freshness_params(config.checks).max_age),
      index_(std::make_unique<Index>()) {
  for (const auto& c : facts.credentials) index_->creds[c.customer_id].push_back(&c);
  // As attestation-freshness chooses: the newest one not dated in the future.
  for (const auto& a : facts.attestations) {
    if (dated_in_future(a.attested_at, at)) continue;
    const Attestation*& newest = index_->attestations[a.customer_id][a.control];
    if (newest == nullptr || a.attested_at > newest->attested_at) newest = &a;
  }
  for (const auto& w : facts.webhooks) index_->hooks[w.customer_id].push_back(&w);
  auto& customers = index_->customers;
  customers.reserve(facts.customers.size());
  for (const auto& c : facts.customers) customers.push_back(&c);
  std::sort(customers.begin(), customers.end(), [](auto* a, auto* b) { return a->id < b->id; });
}

ReportStatePlan::~ReportStatePlan() = default;

std::size_t ReportStatePlan::customers() const { return index_->customers.size(); }

std::vector<AttestationReview> ReportStatePlan::integration_attestations() const {
  std::vector<AttestationReview> out;
  if (auto it = index_->attestations.find(""); it != index_->attestations.end()) {
    for (const auto& [control, a] : it->second) {
      out.push_back({std::string(control), a->attested_at, a->attested_at + review_interval_});
    }
  }
  return out;
}

void ReportStatePlan::states(std::size_t from, std::size_t to,
                             const std::unordered_map<std::string, std::string>& stored_digests,
                             const std::function<void(ReportHistory&&)>& emit, std::size_t batch) const {
  // One customer's state is built, serialised and dropped at a time: at
  // 100k customers a tree of every state at once costs hundreds of MB.
  const auto& delivering = delivering_;
  const auto& limits = limits_;
  auto& creds = index_->creds;
  auto& hooks = index_->hooks;
  auto& attestations = index_->attestations;
  const Duration review_interval = review_interval_;
  to = std::min(to, index_->customers.size());
  ReportHistory h;
  constexpr std::size_t kChunk = 1 << 20;
  std::size_t chunk_used = kChunk, chunk_size = kChunk;
  std::string j;
  for (std::size_t i = from; i < to; ++i) {
    if (h.customers.size() >= batch) {
      emit(std::move(h));
      h = ReportHistory{};
      chunk_used = chunk_size = kChunk;
    }
    const Customer& c = *index_->customers[i];
    j.clear();
    // Format 2, positional (expand_report_state gives the object form back):
    // [2, status, environment, jurisdiction, name, offboarded_at, deliveries,
    //  [[path, kind, environment, role, basis_at, limit], ...],
    //  [[id, platform, status, https], ...], admin_email,
    //  [[control, attested_at, review_due], ...]]
    // (the last two appended later: an older row simply ends before them).
    // Half the bytes of format 1's object: 100k states are ~50 MB of a first
    // cycle's writes (and of the WAL and its checkpoint) instead of ~96 MB.
    j += "[2,";
    for (const std::string_view v : {std::string_view(to_string(c.status)), std::string_view(c.environment),
                                      std::string_view(c.jurisdiction), std::string_view(c.name)}) {
      put_string(j, v);
      j += ',';
    }
    put_opt_unix(j, c.offboarded_at);
    j += delivering.contains(c.id) ? ",true,[" : ",false,[";
    // Stable order inside arrays so an unchanged state has an unchanged digest.
    if (auto it = creds.find(c.id); it != creds.end()) {
      auto& list = it->second;
      std::sort(list.begin(), list.end(), [](const Credential* a, const Credential* b) {
        return std::tie(a->storage_path, a->kind, a->environment, a->role) <
               std::tie(b->storage_path, b->kind, b->environment, b->role);
      });
      bool first = true;
      for (const Credential* cr : list) {
        // Age basis and limit as credential-age uses them (the due date is
        // their sum); no value, no fingerprint, no last use (it changes
        // every cycle and is not shown).
        const auto basis = cr->rotated_at ? cr->rotated_at : cr->created_at;
        auto lim = limits.find(cr->kind);
        j += first ? "[" : ",[";
        first = false;
        for (const std::string_view v : {std::string_view(cr->storage_path), std::string_view(cr->kind),
                                          std::string_view(cr->environment), std::string_view(to_string(cr->role))}) {
          put_string(j, v);
          j += ',';
        }
        put_opt_unix(j, basis);
        j += ',';
        if (lim != limits.end()) put_int(j, lim->second.count()); else j += "null";
        j += ']';
      }
    }
    j += "],[";
    if (auto it = hooks.find(c.id); it != hooks.end()) {
      auto& list = it->second;
      std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->id < b->id; });
      bool first = true;
      for (const WebhookSubscription* w : list) {
        j += first ? "[" : ",[";
        first = false;
        for (const std::string_view v :
             {std::string_view(w->id), std::string_view(w->platform), std::string_view(to_string(w->status))}) {
          put_string(j, v);
          j += ',';
        }
        j += w->notification_url.starts_with("https://") ? "true]" : "false]";
      }
    }
    j += "],";
    // The findings' owner in the report.
    if (c.admin_email.empty()) j += "null"; else put_string(j, c.admin_email);
    j += ",[";
    if (auto it = attestations.find(c.id); it != attestations.end()) {
      bool first = true;
      for (const auto& [control, a] : it->second) {  // by control: a stable digest
        j += first ? "[" : ",[";
        first = false;
        put_string(j, control);
        j += ',';
        put_int(j, to_unix(a->attested_at));
        j += ',';
        put_int(j, to_unix(a->attested_at + review_interval));
        j += ']';
      }
    }
    j += "]]";
    // Redacted like everything else written; metadata only, by construction.
    j = redact(j);
    std::string digest = sha256_hex(j);
    if (auto it = stored_digests.find(c.id); it != stored_digests.end() && it->second == digest) {
      h.customers.push_back({c.id, {}, std::move(digest), true});
      continue;
    }
    if (chunk_used + j.size() > chunk_size) {
      chunk_size = std::max(kChunk, j.size());
      h.state_chunks.push_back(std::make_unique_for_overwrite<char[]>(chunk_size));
      chunk_used = 0;
    }
    char* dst = h.state_chunks.back().get() + chunk_used;
    std::memcpy(dst, j.data(), j.size());
    chunk_used += j.size();
    h.customers.push_back({c.id, std::string_view(dst, j.size()), std::move(digest), false});
  }
  if (!h.customers.empty()) emit(std::move(h));
}

nlohmann::json expand_report_state(nlohmann::json stored) {
  using nlohmann::json;
  if (stored.is_object()) return stored;  // format 1: the object itself
  // Anything but a format-2 array, and missing or mistyped positions, read
  // as empty or null: a damaged row loses fields, not the report.
  if (!stored.is_array() || stored.empty() || stored[0] != 2) return json::object();
  static const json null_value;
  const auto at = [](const json& a, std::size_t i) -> const json& {
    return a.is_array() && i < a.size() ? a[i] : null_value;
  };
  json o = json::object();
  o["status"] = at(stored, 1);
  o["environment"] = at(stored, 2);
  o["jurisdiction"] = at(stored, 3);
  o["name"] = at(stored, 4);
  o["offboarded_at"] = at(stored, 5);
  o["deliveries"] = at(stored, 6);
  json creds = json::array();
  if (const json& list = at(stored, 7); list.is_array()) {
    for (const auto& c : list) {
      const json& basis = at(c, 4);
      const json& limit = at(c, 5);
      json due;
      if (basis.is_number_integer() && limit.is_number_integer()) {
        due = basis.get<std::int64_t>() + limit.get<std::int64_t>();
      }
      creds.push_back({{"path", at(c, 0)}, {"kind", at(c, 1)}, {"environment", at(c, 2)}, {"role", at(c, 3)},
                       {"basis_at", basis}, {"limit", limit}, {"due_at", due}});
    }
  }
  o["credentials"] = std::move(creds);
  json hooks = json::array();
  if (const json& list = at(stored, 8); list.is_array()) {
    for (const auto& w : list) {
      hooks.push_back({{"id", at(w, 0)}, {"platform", at(w, 1)}, {"status", at(w, 2)}, {"https", at(w, 3)}});
    }
  }
  o["webhooks"] = std::move(hooks);
  o["admin_email"] = at(stored, 9);
  json reviews = json::array();
  if (const json& list = at(stored, 10); list.is_array()) {
    for (const auto& a : list) {
      reviews.push_back({{"control", at(a, 0)}, {"attested_at", at(a, 1)}, {"review_due", at(a, 2)}});
    }
  }
  o["attestations"] = std::move(reviews);
  return o;
}

ReportHistory summarize_for_report(const Facts& facts, SignatureSummary signatures, const Config& config,
                                   const std::unordered_map<std::string, std::string>& stored_digests, Time at) {
  ReportHistory h;
  h.signature_rates = std::move(signatures.rates);
  const ReportStatePlan plan(facts, std::move(signatures.delivering), config, at);
  h.attestations = plan.integration_attestations();
  plan.states(0, plan.customers(), stored_digests, [&](ReportHistory&& part) {
    std::move(part.customers.begin(), part.customers.end(), std::back_inserter(h.customers));
    std::move(part.state_chunks.begin(), part.state_chunks.end(), std::back_inserter(h.state_chunks));
  });
  return h;
}

}  // namespace complyd
