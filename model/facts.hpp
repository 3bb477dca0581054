// SPDX-License-Identifier: Apache-2.0
// The facts snapshot every check reads. Plain data: no I/O, no secrets
// (credentials carry metadata and keyed fingerprints only). Checks only read
// it; the cycle frees each kind once its last reader is done (release_facts).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/fingerprint.hpp"
#include "model/symbol.hpp"
#include "model/time.hpp"

namespace complyd {

// Each source declares which kinds of facts it provides; a check declares
// which kinds it needs. A failed source makes the checks that need its
// kinds "incomplete" for the cycle, so their findings keep their state.
enum class FactKind : std::uint8_t {
  customers,
  credentials,
  webhooks,
  verifications,
  data_sets,
  audit_events,
  attestations,
  api_endpoints,
  file_scans,  // leak hits from the files source (leak-scan)
  outbox,      // e-mail delivery health (notification-delivery)
  customer_activity,  // last sync per customer from the integration's database (sql source)
  secret_stores,      // whether each secrets store audits access (audit-coverage)
  history,            // the state database's hash chain, verified (history-integrity)
};
const char* to_string(FactKind k);
inline constexpr FactKind kAllFactKinds[] = {
    FactKind::customers,     FactKind::credentials,  FactKind::webhooks,
    FactKind::verifications, FactKind::data_sets,    FactKind::audit_events,
    FactKind::attestations,  FactKind::api_endpoints, FactKind::file_scans, FactKind::outbox,
    FactKind::customer_activity, FactKind::secret_stores, FactKind::history};

enum class CustomerStatus : std::uint8_t { active, offboarding, offboarded };
const char* to_string(CustomerStatus s);
std::optional<CustomerStatus> customer_status_from(std::string_view s);

struct Customer {
  std::string id;
  std::string name;
  CustomerStatus status = CustomerStatus::active;
  std::string admin_email;
  std::string environment;   // production, sandbox, staging
  std::string jurisdiction;  // e.g. "EU", "US-CA", "" when unknown
  std::optional<Time> onboarded_at;
  std::optional<Time> offboarded_at;
  std::optional<Time> last_sync_at;  // last sync worker activity
};

// Role of one stored credential version.
enum class CredentialRole : std::uint8_t { current, previous, pending, revoked };
const char* to_string(CredentialRole r);
std::optional<CredentialRole> credential_role_from(std::string_view s);

struct Credential {
  std::string customer_id;
  std::string kind;          // api_token, webhook_secret, oauth_refresh_token, internal_secret
  CredentialRole role = CredentialRole::current;
  std::string storage_path;  // e.g. raise/production/cust_0001/api_token
  std::string environment;
  std::optional<Time> created_at;
  std::optional<Time> rotated_at;    // when it became current
  std::optional<Time> last_used_at;
  std::optional<Time> activated_at;  // pending credentials: when it went live
  Fingerprint fingerprint;           // of a keyed hash (hex), never the value
  std::optional<double> entropy_bytes;
};

enum class SubscriptionStatus : std::uint8_t { active, inactive, deleted };
const char* to_string(SubscriptionStatus s);
std::optional<SubscriptionStatus> subscription_status_from(std::string_view s);

struct WebhookSubscription {
  std::string id;
  std::string customer_id;
  std::string platform;
  std::string notification_url;
  SubscriptionStatus status = SubscriptionStatus::active;
  std::optional<Time> created_at;
};

// Per-customer per-minute webhook signature verification counters.
struct VerificationMinute {
  std::int64_t minute = 0;  // unix seconds / 60
  std::uint32_t ok = 0;
  std::uint32_t fail = 0;
  std::uint32_t unsigned_processed = 0;
};

// A series of minutes held packed: the scale target is 14.4M rows, which as
// 24-byte structs would be most of a cycle's memory. Each minute is stored as
// varints (the zigzag delta from the previous minute, then the three
// counters): about 4 bytes for a typical minute. Any values round-trip,
// including unsorted or duplicate minutes (the check normalises them).
// Read it by iterating (decodes on the fly) or with decode().
class PackedMinutes {
 public:
  class const_iterator {
   public:
    using value_type = VerificationMinute;
    using difference_type = std::ptrdiff_t;
    using reference = VerificationMinute;
    using iterator_category = std::input_iterator_tag;
    const_iterator() = default;
    VerificationMinute operator*() const { return current_; }
    const VerificationMinute* operator->() const { return &current_; }
    const_iterator& operator++() {
      load();
      return *this;
    }
    void operator++(int) { load(); }
    bool operator==(const const_iterator& o) const { return at_ == o.at_ && done_ == o.done_; }

   private:
    friend class PackedMinutes;
    const_iterator(const std::uint8_t* at, const std::uint8_t* end) : at_(at), end_(end) { load(); }
    void load();
    const std::uint8_t* at_ = nullptr;
    const std::uint8_t* end_ = nullptr;
    bool done_ = true;
    VerificationMinute current_{};
  };

  PackedMinutes() = default;
  PackedMinutes(std::span<const VerificationMinute> minutes);  // NOLINT: implicit, like a vector
  PackedMinutes(std::initializer_list<VerificationMinute> minutes)
      : PackedMinutes(std::span<const VerificationMinute>(minutes.begin(), minutes.size())) {}
  PackedMinutes(const std::vector<VerificationMinute>& minutes)  // NOLINT
      : PackedMinutes(std::span<const VerificationMinute>(minutes)) {}

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t packed_bytes() const { return bytes_.size(); }
  const_iterator begin() const { return {bytes_.data(), bytes_.data() + bytes_.size()}; }
  const_iterator end() const { return {}; }
  // The minutes, in stored order, into a reused buffer (cleared first).
  void decode_into(std::vector<VerificationMinute>& out) const;
  std::vector<VerificationMinute> decode() const;

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t count_ = 0;
};

struct VerificationSeries {
  std::string customer_id;
  PackedMinutes minutes;
};

// A body of stored data with the age of its oldest record, for retention and
// offboarding deletion.
struct DataSet {
  std::string customer_id;  // empty for shared data sets
  std::string name;         // e.g. dead_letter, worker_logs/hot
  std::string data_class;   // dead_letter, reconciliation_log, worker_log_hot, ...
  std::string location;     // table name, path or bucket
  std::int64_t record_count = 0;
  std::optional<Time> oldest_record_at;
  std::optional<Time> newest_record_at;
  bool anonymised = false;
};

// Sync worker activity reported by a source other than the inventory (the
// integration's own database). Kept apart from Customer so a failed activity
// source leaves only the checks that read it incomplete.
struct CustomerActivity {
  std::string customer_id;
  std::optional<Time> last_sync_at;
};

// Hundreds of thousands at 100k customers, with few distinct actors, actions
// and customers among them: those are Symbols (8 bytes, no copy of the text).
struct AuditEvent {
  Symbol customer_id;
  Symbol actor;
  Symbol action;         // credential_created, token_rotated, credential_deleted, offboarded, token_read, ...
  std::string resource;  // storage path or object
  Time at{};
};

// The customers a reader service may read credentials of (audit-coverage):
// a reader with any scope row reads only its scoped customers' credentials.
struct ReaderScope {
  std::string reader;  // an audit event's actor, e.g. sync-worker-eu
  std::string customer_id;
};

struct Attestation {
  std::string control;      // dpa, incident_runbook, access_review, ...
  std::string customer_id;  // empty for integration-wide controls
  std::string attested_by;
  Time attested_at{};
  std::string evidence_ref;
};

// A configured API base URL (transport-https).
struct ApiEndpoint {
  std::string name;
  std::string url;
  std::string origin;  // where it was configured
};

// Something secret-looking found in a scanned file (leak-scan). Carries
// where and what kind, never the value: `excerpt` is masked by construction
// (e.g. "securityToken=[REDACTED] (44 chars)", "[PAN, Luhn-valid, 16 digits]").
enum class LeakKind : std::uint8_t { bearer_token, token_assignment, private_key, env_file, card_number, donor_email };
const char* to_string(LeakKind k);
std::optional<LeakKind> leak_kind_from(std::string_view s);

struct LeakHit {
  std::string file;
  std::size_t line = 0;  // 1-based; 0 for a whole-file hit (env_file)
  LeakKind kind = LeakKind::token_assignment;
  std::string excerpt;              // masked; never contains the value
  std::size_t value_length = 0;     // characters (digits for a PAN) of the hidden value
  std::uint32_t occurrences = 1;    // matches of this kind on this line
};

// What one source delivered this cycle.
struct SourceStatus {
  std::string name;
  std::string type;
  bool ok = true;
  std::string error;  // redacted, one line
  std::vector<FactKind> provides;
  std::optional<Time> collected_at;
  std::int64_t rows = 0;
  // Rows the source could not use (location: message); never values.
  std::vector<std::string> problems;
  // A stored cycle keeps how many there were, not their text.
  std::size_t stored_problems = 0;
  std::size_t rejected_rows() const { return problems.empty() ? stored_problems : problems.size(); }
};

// E-mail the notifier gave up on (dead), as the cycle read it from the
// outbox: ids, kinds and the redacted last reply; never a message body.
struct DeadMessage {
  std::int64_t id = 0;
  std::string kind;  // digest, reminder, escalation
  std::string customer_id;
  std::string recipients;
  std::int64_t attempts = 0;
  std::string last_reply;
  std::optional<Time> created_at;
};

struct OutboxHealth {
  std::int64_t pending = 0;
  std::vector<DeadMessage> dead;
};

// Whether a secrets store (e.g. Vault) writes an audit log of who read and
// changed secrets (audit-coverage). Device names and types only.
struct SecretStoreAudit {
  std::string source;  // the source's name, e.g. vault-prod
  std::string store;   // where, for messages (url without query)
  bool checked = true;  // false: the devices could not be read (e.g. permission denied)
  bool audit_enabled = false;
  std::vector<std::string> devices;  // "file/ (file)"
};

// The state database's history chain as the cycle verified it: intact, or
// the first broken record (history-integrity). Hashes and ids only.
struct HistoryIntegrity {
  bool verified = false;  // false: not verified this cycle
  bool intact = true;
  std::int64_t records = 0;  // records verified this time
  std::int64_t head_seq = 0;  // the last record verified intact
  std::string head_hash;
  std::string table;  // the first broken record: table, row id, sequence, what is wrong
  std::int64_t row_id = 0;
  std::int64_t seq = 0;
  std::string problem;
};

// A check that stopped with an error this cycle (set by the cycle for the
// checks that run last, see CheckInfo::runs_last).
struct CheckFailure {
  std::string check_id;
  std::string error;  // redacted, valid UTF-8
};

struct Facts {
  std::vector<Customer> customers;
  std::vector<Credential> credentials;
  std::vector<WebhookSubscription> webhooks;
  std::vector<VerificationSeries> verifications;
  std::vector<DataSet> data_sets;
  std::vector<AuditEvent> audit_events;
  std::vector<ReaderScope> reader_scopes;  // with the audit events; empty: no source says scopes
  std::vector<Attestation> attestations;
  std::vector<ApiEndpoint> api_endpoints;
  std::vector<LeakHit> leak_hits;
  std::vector<CustomerActivity> customer_activity;
  std::vector<SourceStatus> sources;
  OutboxHealth outbox;
  std::vector<SecretStoreAudit> secret_stores;
  // Per event stream (a fact kind's name, e.g. "verifications"): the last
  // minute (unix seconds / 60) a committed cycle judged. Set by the cycle
  // from the state database, not by sources; absent on a first run.
  std::map<std::string, std::int64_t> judged_through;
  HistoryIntegrity history;
  // The checks that failed, for the checks that run after all the others.
  std::vector<CheckFailure> check_failures;

  // Kinds for which some source failed this cycle.
  bool kind_complete(FactKind k) const;
};

}  // namespace complyd
