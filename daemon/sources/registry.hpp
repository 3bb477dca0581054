// The source types [[sources]] can name. Each type lives in one file under
// daemon/sources/ with its settings, its parser and its factory, and is
// listed once in registry.cpp (explicit, like checks/registry.cpp).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "daemon/config/section.hpp"
#include "daemon/config/source_config.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {

struct SourceContext {
  const Config& config;  // e.g. the state database path for the ingest source
  FileScanState* file_scans = nullptr;  // the cycle's persisted files-source state (files type)
};

struct SourceType {
  std::string_view type;
  std::string_view summary;  // one line for `complyd sources test` and docs
  // Reads the type's own keys from its [[sources]] table (the common keys are
  // already read); problems go to the section's diagnostics. `base` resolves
  // relative paths (the config file's directory).
  std::shared_ptr<const SourceSettings> (*parse)(cfg::Section& section, const std::filesystem::path& base);
  std::unique_ptr<Source> (*make)(const SourceConfig& config, const SourceContext& context);
};

const std::vector<const SourceType*>& source_types();
const SourceType* find_source_type(std::string_view type);

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
