// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <chrono>

#include "daemon/config/config.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/files_source.hpp"
#include "daemon/sources/inventory.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/sources/source.hpp"
#include "daemon/util/utf8.hpp"

namespace complyd {

std::vector<std::unique_ptr<Source>> make_sources(const Config& config, FileScanState* file_scans,
                                                  std::optional<Time> counters_from) {
  std::vector<std::unique_ptr<Source>> out;
  if (file_scans != nullptr) prune_file_scans(config, *file_scans);
  out.push_back(std::make_unique<InventorySource>(config.inventory, config.workers, counters_from));
  if (config.files) {
    // The detector's thresholds are leak-scan's parameters: configured once,
    // under [checks.leak-scan]. A disabled leak-scan reads no files.
    auto cc = config.checks.find("leak-scan");
    if (cc == config.checks.end() || cc->second.enabled) {
      auto files =
          std::make_unique<FilesSource>(*config.files, leak_scan_options(leak_scan_params(config.checks)), file_scans);
      files->never_open({config.state_db, config.inventory.path});
      out.push_back(std::move(files));
    }
  }
  const SourceContext context{config, file_scans, counters_from};
  for (const SourceConfig& sc : config.sources) {
    if (!sc.common.enabled) continue;
    if (const SourceType* t = find_source_type(sc.type)) out.push_back(t->make(sc, context));
  }
  return out;
}

namespace {
template <class T>
void append(std::vector<T>& to, std::vector<T>& from) {
  if (to.empty()) {
    to = std::move(from);
  } else {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  }
}
// The last line before the checks: every text a source delivered is valid
// UTF-8. A source that let a bad byte through (a file name, a value some
// API sent) has its text repaired here, with U+FFFD, and the row reported;
// the inventory and the sql source repair and report their rows themselves,
// naming the column (Source::checks_text).
class TextGuard {
 public:
  explicit TextGuard(std::vector<std::string>& problems) : problems_(problems) {}

  template <class Row, class... Fields>
  void rows(std::vector<Row>& v, const char* what, Fields... fields) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      bool bad = false;
      ((bad |= fix(v[i].*fields)), ...);
      if (bad) problems_.push_back(fmt::format("{} #{}: text that is not valid UTF-8; invalid bytes replaced with "
                                               "U+FFFD",
                                               what, i + 1));
    }
  }

 private:
  static bool fix(std::string& s) { return make_valid_utf8(s); }
  static bool fix(Symbol& s) {
    if (is_valid_utf8(s.str())) return false;
    s = Symbol(to_valid_utf8(s.str()));
    return true;
  }
  static bool fix(std::vector<std::string>& v) {
    bool bad = false;
    for (auto& s : v) bad |= make_valid_utf8(s);
    return bad;
  }

  std::vector<std::string>& problems_;
};

void guard_text(Facts& f, std::vector<std::string>& problems) {
  TextGuard g(problems);
  g.rows(f.customers, "customer", &Customer::id, &Customer::name, &Customer::admin_email, &Customer::environment,
         &Customer::jurisdiction);
  g.rows(f.credentials, "credential", &Credential::customer_id, &Credential::kind, &Credential::storage_path,
         &Credential::environment);
  g.rows(f.webhooks, "webhook subscription", &WebhookSubscription::id, &WebhookSubscription::customer_id,
         &WebhookSubscription::platform, &WebhookSubscription::notification_url);
  g.rows(f.verifications, "verification series", &VerificationSeries::customer_id);
  g.rows(f.data_sets, "data set", &DataSet::customer_id, &DataSet::name, &DataSet::data_class, &DataSet::location);
  g.rows(f.audit_events, "audit event", &AuditEvent::customer_id, &AuditEvent::actor, &AuditEvent::action,
         &AuditEvent::resource);
  g.rows(f.reader_scopes, "reader scope", &ReaderScope::reader, &ReaderScope::customer_id);
  g.rows(f.attestations, "attestation", &Attestation::control, &Attestation::customer_id, &Attestation::attested_by,
         &Attestation::evidence_ref);
  g.rows(f.api_endpoints, "API endpoint", &ApiEndpoint::name, &ApiEndpoint::url, &ApiEndpoint::origin);
  g.rows(f.leak_hits, "leak hit", &LeakHit::file, &LeakHit::excerpt);
  g.rows(f.customer_activity, "customer activity", &CustomerActivity::customer_id);
  g.rows(f.secret_stores, "secrets store", &SecretStoreAudit::source, &SecretStoreAudit::store,
         &SecretStoreAudit::devices);
}

}  // namespace

Facts collect_facts(const std::vector<std::unique_ptr<Source>>& sources, Time now) {
  Facts facts;
  for (const auto& src : sources) {
    SourceStatus st;
    st.name = src->name();
    st.type = src->type();
    st.provides = src->provides();
    Facts part;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      src->collect(part, now, st.problems);
      // A second pass over millions of texts the source checked is not free.
      if (!src->checks_text()) guard_text(part, st.problems);
      st.ok = true;
      st.collected_at = now;
      st.rows = static_cast<std::int64_t>(part.customers.size() + part.credentials.size() + part.webhooks.size() +
                                          part.data_sets.size() + part.audit_events.size() + part.reader_scopes.size() +
                                          part.attestations.size() + part.api_endpoints.size() +
                                          part.leak_hits.size() + part.customer_activity.size() +
                                          part.secret_stores.size());
      for (const auto& v : part.verifications) st.rows += static_cast<std::int64_t>(v.minutes.size());
      append(facts.customers, part.customers);
      append(facts.credentials, part.credentials);
      append(facts.webhooks, part.webhooks);
      append(facts.verifications, part.verifications);
      append(facts.data_sets, part.data_sets);
      append(facts.audit_events, part.audit_events);
      append(facts.reader_scopes, part.reader_scopes);
      append(facts.attestations, part.attestations);
      append(facts.api_endpoints, part.api_endpoints);
      append(facts.leak_hits, part.leak_hits);
      append(facts.secret_stores, part.secret_stores);
      append(facts.customer_activity, part.customer_activity);
    } catch (const std::exception& e) {
      st.ok = false;
      st.error = redact(e.what());
      CLOG(error) << "source " << st.name << " (" << st.type << ") failed: " << st.error;
    }
    // Problems and errors quote paths and values: they reach findings too.
    make_valid_utf8(st.error);
    for (auto& p : st.problems) make_valid_utf8(p);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    for (const auto& p : st.problems) CLOG(warning) << "source " << st.name << ": " << p;
    if (st.ok) {
      CLOG(info) << "source " << st.name << " read " << st.rows << " rows in " << ms.count() << " ms"
                 << (st.problems.empty() ? "" : ", with " + std::to_string(st.problems.size()) + " rejected rows");
    }
    facts.sources.push_back(std::move(st));
  }
  return facts;
}

}  // namespace complyd
