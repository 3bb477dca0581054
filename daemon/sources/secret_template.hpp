// SPDX-License-Identifier: Apache-2.0
// Secret names to credential facts, shared by the secrets-manager sources
// (vault, aws-secrets-manager): a name template such as
// "{prefix}/{environment}/{customer_id}/{name}" and the mapping of the {name}
// segment to a credential kind.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace complyd {

namespace cfg {
class Section;
}

class SecretTemplate {
 public:
  struct Match {
    std::string customer_id, environment, name;
  };

  // nullopt and `error` set when the template is unusable: {customer_id} and
  // {name} are required, {environment} optional, {prefix} needs a prefix.
  static std::optional<SecretTemplate> compile(std::string_view text, std::string_view prefix, std::string& error);

  std::optional<Match> match(std::string_view name) const;
  const std::string& text() const { return text_; }
  // The literal start of every matching name up to its last '/', e.g.
  // "raise/": where listing starts and what a name filter can use.
  const std::string& literal_dir() const { return literal_dir_; }
  // Segments ('/'-separated) of a matching name: the deepest a listing needs to go.
  std::size_t depth() const { return depth_; }

 private:
  std::string text_, literal_dir_;
  std::size_t depth_ = 0;
  std::shared_ptr<const re2::RE2> re_;
  int customer_ = 0, environment_ = 0, name_ = 0;  // capture groups (0: absent)
};

inline constexpr std::string_view kDefaultSecretTemplate = "{prefix}/{environment}/{customer_id}/{name}";

// The {name} segment -> credential kind: api_token, webhook_secret,
// oauth_refresh_token and internal_secret under their own names and with
// '-' (the reference pages' "api-token", "webhook-secret"), plus refresh_token.
std::map<std::string, std::string, std::less<>> default_kind_names();

// Reads the template keys every secrets-manager source shares: `prefix`,
// `<template_key>` and the `kinds` table (name = "kind", added to the
// defaults). Problems go to the section's diagnostics.
struct SecretNaming {
  std::optional<SecretTemplate> templ;
  std::map<std::string, std::string, std::less<>> kinds = default_kind_names();
};
SecretNaming parse_secret_naming(cfg::Section& s, std::string_view template_key);

}  // namespace complyd
