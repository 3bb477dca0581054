// SPDX-License-Identifier: Apache-2.0
// aws-secrets-manager: secret metadata from AWS Secrets Manager's ListSecrets
// (AWS JSON 1.1, SigV4-signed by libcurl), every page. Never reads values
// (no GetSecretValue). Provides credentials.
//
// Each SecretListEntry becomes a credential: customer, environment and kind
// from the name template (tags complyd:customer_id / complyd:environment /
// complyd:kind / complyd:role / complyd:rotated_at override it), created_at
// = CreatedDate, rotated_at = LastRotatedDate, else LastChangedDate, else
// CreatedDate, last_used_at = LastAccessedDate (a day), role revoked when a
// deletion is scheduled (DeletedDate), and the AWSPREVIOUS version as a
// previous credential (rotation-leftover).
#pragma once

#include <filesystem>

#include "daemon/sources/http_client.hpp"
#include "daemon/sources/registry.hpp"
#include "daemon/sources/secret_template.hpp"

namespace complyd {

struct AwsSecretsManagerSettings final : SourceSettings {
  std::string region;
  std::string endpoint;  // https://secretsmanager.<region>.amazonaws.com unless set
  std::vector<std::string> name_filters;  // ListSecrets "name" filter values (prefixes)
  SecretNaming naming;
  std::filesystem::path credentials_file;  // INI like ~/.aws/credentials; else AWS_* environment variables
  std::string profile = "default";
  bool previous_versions = true;  // report the AWSPREVIOUS version as a previous credential
};

class AwsSecretsManagerSource final : public ConfiguredSource {
 public:
  explicit AwsSecretsManagerSource(const SourceConfig& c, HttpClient::Sleep sleep = {});
  std::vector<FactKind> provides() const override { return {FactKind::credentials}; }
  void collect(Facts& into, Time now, std::vector<std::string>& problems) override;

  std::size_t pages_read() const { return pages_; }

 private:
  AwsSecretsManagerSettings s_;
  HttpClient::Sleep sleep_;
  HttpClient http_;
  std::size_t pages_ = 0;
};

extern const SourceType kAwsSecretsManagerSourceType;

}  // namespace complyd
