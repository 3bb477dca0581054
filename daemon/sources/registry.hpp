// SPDX-License-Identifier: Apache-2.0
// The source types [[sources]] can name. Each type lives in one file under
// daemon/sources/ with its settings, its parser and its factory, and is
// listed once in registry.cpp (explicit, like checks/registry.cpp).
#pragma once

#include <filesystem>
#include <optional>
#include <memory>
#include <string_view>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/config/source_config.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {

struct SourceContext {
  const Config& config;  // e.g. the state database path for the ingest source
  FileScanState* file_scans = nullptr;  // the cycle's persisted files-source state (files type)
  std::optional<Time> counters_from;    // read verification counters at least back to this (see make_sources)
};

// A type: its schema (name, summary, parser) and its factory.
struct SourceType : SourceSchema {
  std::unique_ptr<Source> (*make)(const SourceConfig& config, const SourceContext& context);
};

const std::vector<const SourceType*>& source_types();
const SourceType* find_source_type(std::string_view type);
// The same types as the configuration loader sees them.
SourceSchemas source_schemas();

// The configuration, with every source type known.
ConfigResult load_config(const std::filesystem::path& file);
ConfigResult parse_config(std::string_view toml_text, const std::filesystem::path& file_for_messages);

// A source built from a SourceConfig keeps its name and type.
class ConfiguredSource : public Source {
 public:
  explicit ConfiguredSource(const SourceConfig& c) : name_(c.name), type_(c.type), common_(c.common) {}
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  const SourceCommon& common() const { return common_; }

 private:
  std::string name_, type_;
  SourceCommon common_;
};

}  // namespace complyd
