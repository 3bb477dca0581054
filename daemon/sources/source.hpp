// SPDX-License-Identifier: Apache-2.0
// A source reads facts from where they live. Sources are the edge: they do
// I/O, normalise rows into facts, and report failure as data (SourceStatus),
// never by crashing the cycle.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/facts.hpp"
#include "model/file_scan_state.hpp"

namespace complyd {

struct Config;

class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& type() const = 0;
  virtual std::vector<FactKind> provides() const = 0;
  // Appends facts to `into`. Throws on failure (the cycle discards what this
  // source appended). Unusable rows are reported in `problems`.
  virtual void collect(Facts& into, Time now, std::vector<std::string>& problems) = 0;
  // True when the source makes every text it delivers valid UTF-8 and reports
  // the rows it repaired, naming their columns (the inventory and the sql
  // source); collect_facts checks the facts of any other source itself.
  virtual bool checks_text() const { return false; }
};

// `file_scans`: the files source's incremental state, loaded from the state
// database by the cycle and updated in place when the source succeeds.
// `counters_from`: the sources of verification counters read at least back to
// it (signature-failures' first minute to read after a gap), besides their own window.
std::vector<std::unique_ptr<Source>> make_sources(const Config& config, FileScanState* file_scans = nullptr,
                                                  std::optional<Time> counters_from = std::nullopt);

// Runs every source; a failed source contributes no facts and a failed
// SourceStatus. Never throws.
Facts collect_facts(const std::vector<std::unique_ptr<Source>>& sources, Time now);

}  // namespace complyd
