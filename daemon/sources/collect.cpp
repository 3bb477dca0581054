// SPDX-License-Identifier: Apache-2.0
#include <chrono>

#include "daemon/config/config.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/sources/files_source.hpp"
#include "daemon/sources/inventory.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/sources/source.hpp"

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
      out.push_back(
          std::make_unique<FilesSource>(*config.files, leak_scan_options(leak_scan_params(config.checks)), file_scans));
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
