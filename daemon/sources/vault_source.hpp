// SPDX-License-Identifier: Apache-2.0
// vault: HashiCorp Vault / OpenBao KV v2 secret metadata (never values unless
// `fingerprint = true`, and then only to hash and measure them). Provides
// credentials and, with check_audit_devices, secret_stores (sys/audit).
//
// LIST {mount}/metadata/... recursively from the template's literal start,
// then GET {mount}/metadata/<path> per secret: the current version becomes a
// `current` credential, every older version neither destroyed nor deleted a
// `previous` one (rotation-leftover), soft-deleted versions `revoked` (their
// data is still stored until destroyed). Names that do not fit the template
// are problems, not failures.
#pragma once

#include <filesystem>
#include <map>

#include "daemon/sources/http_client.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/sources/secret_template.hpp"

namespace complyd {

struct VaultSettings final : SourceSettings {
  std::string url;  // no trailing '/'
  std::string mount = "secret";
  std::string vault_namespace;  // X-Vault-Namespace (Vault Enterprise, HCP)
  std::filesystem::path token_file;
  SecretNaming naming;
  bool fingerprint = false;
  std::filesystem::path fingerprint_key_file;
  std::string value_field = "value";  // the KV field holding the credential (fingerprint mode)
  bool check_audit_devices = true;
};

class VaultSource final : public ConfiguredSource {
 public:
  explicit VaultSource(const SourceConfig& c, HttpClient::Sleep sleep = {});
  std::vector<FactKind> provides() const override;
  void collect(Facts& into, Time now, std::vector<std::string>& problems) override;

  // Secrets read in the last collect() (tests).
  std::size_t secrets_read() const { return secrets_read_; }

 private:
  VaultSettings s_;
  HttpClient http_;
  std::size_t secrets_read_ = 0;
};

extern const SourceType kVaultSourceType;

}  // namespace complyd
