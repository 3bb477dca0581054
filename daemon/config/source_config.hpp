// SPDX-License-Identifier: Apache-2.0
// [[sources]]: the configured fact sources beside the embedded inventory.
// The settings every source shares live here; each type's own settings are
// parsed and owned by its file in daemon/sources/ (see registry.hpp).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "model/facts.hpp"

namespace complyd {

struct SourceCommon {
  bool enabled = true;
  Duration connect_timeout{10};  // one connection (HTTP, PostgreSQL)
  Duration timeout{30};          // one request or query
  Duration deadline{300};        // the whole source, every page and retry, per cycle
  int max_attempts = 4;          // per request: transport errors, 429 and 5xx are retried
  Duration retry_initial{1};     // backoff doubles from here unless Retry-After says otherwise
  Duration retry_max{60};
  std::filesystem::path ca_file;  // extra CA bundle (PEM) for a private PKI
};

// Base of each type's parsed settings (e.g. VaultSettings in vault_source.hpp).
struct SourceSettings {
  virtual ~SourceSettings() = default;
};

struct SourceConfig {
  std::string name;  // unique; appears in findings (source-unavailable) and logs
  std::string type;  // vault, aws-secrets-manager, platform, prometheus, ingest, sql, files
  std::string origin;  // file:line of its [[sources]] table, for messages
  SourceCommon common;
  std::shared_ptr<const SourceSettings> settings;

  template <class T>
  const T& as() const {
    return dynamic_cast<const T&>(*settings);
  }
};

namespace cfg {
class Section;
}

// What the loader knows of a [[sources]] type: its name and the parser of its
// own keys (the keys every type shares are read already; problems go to the
// section's diagnostics; `base` resolves relative paths). Each type is
// defined in its file under daemon/sources/, with the factory that uses
// what its parser read.
struct SourceSchema {
  std::string_view type;
  std::string_view summary;  // one line for `complyd sources types` and docs
  std::shared_ptr<const SourceSettings> (*parse)(cfg::Section& section, const std::filesystem::path& base);
};
using SourceSchemas = std::span<const SourceSchema* const>;

}  // namespace complyd
