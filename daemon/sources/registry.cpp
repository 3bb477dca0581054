// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/registry.hpp"

#include <algorithm>

namespace complyd {

// One line per type; each is defined in its own file.
extern const SourceType kVaultSourceType;
extern const SourceType kAwsSecretsManagerSourceType;
extern const SourceType kPlatformSourceType;
extern const SourceType kPrometheusSourceType;
extern const SourceType kIngestSourceType;
extern const SourceType kSqlSourceType;
extern const SourceType kFilesSourceType;

const std::vector<const SourceType*>& source_types() {
  static const std::vector<const SourceType*> all{
      // Filled in as the types land.
      &kPlatformSourceType, &kPrometheusSourceType,
      &kIngestSourceType,
      &kSqlSourceType, &kFilesSourceType,
      &kVaultSourceType, &kAwsSecretsManagerSourceType,
  };
  return all;
}

SourceSchemas source_schemas() {
  static const std::vector<const SourceSchema*> all(source_types().begin(), source_types().end());
  return all;
}

ConfigResult load_config(const std::filesystem::path& file) { return load_config(file, source_schemas()); }

ConfigResult parse_config(std::string_view text, const std::filesystem::path& file) {
  return parse_config(text, file, source_schemas());
}

const SourceType* find_source_type(std::string_view type) {
  const auto& all = source_types();
  auto it = std::find_if(all.begin(), all.end(), [&](const SourceType* t) { return t->type == type; });
  return it == all.end() ? nullptr : *it;
}

}  // namespace complyd
