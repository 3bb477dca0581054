// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "daemon/log/redact.hpp"
#include "model/mask.hpp"

namespace complyd::testing {
namespace {

TEST(UrlMask, MasksThePasswordOfAUrlOrDsn) {
  EXPECT_EQ(mask_url_credentials("postgres://app:PW@db/app"), "postgres://app:[REDACTED]@db/app");
  EXPECT_EQ(mask_url_credentials("at mysql://root:s3cr%40t@db:3306/x today"),
            "at mysql://root:[REDACTED]@db:3306/x today");
  // A lone userinfo may be a token itself.
  EXPECT_EQ(mask_url_credentials("https://ghp_abc123@github.com/o/r"), "https://[REDACTED]@github.com/o/r");
}

TEST(UrlMask, MasksSecretNamedQueryParameters) {
  EXPECT_EQ(mask_url_credentials("vault/x?token=PW&a=1"), "vault/x?token=[REDACTED]&a=1");
  EXPECT_EQ(mask_url_credentials("https://h/p?a=1&API_KEY=zz#f"), "https://h/p?a=1&API_KEY=[REDACTED]#f");
  EXPECT_EQ(mask_url_credentials("s3://b/k?X-Amz-Signature=abc&X-Amz-Credential=def"),
            "s3://b/k?X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]");
  EXPECT_EQ(mask_url_credentials("postgres://db/app?sslmode=require&password=PW"),
            "postgres://db/app?sslmode=require&password=[REDACTED]");
}

TEST(UrlMask, LeavesOrdinaryTextAlone) {
  for (const char* s : {"https://partner.example.com/hooks?id=7&page=2", "raise/production/cust_0001/api_token",
                        "mail ops@example.com & security@example.com", "no url here", "https://x/?token="}) {
    EXPECT_EQ(mask_url_credentials(s), s);
  }
}

TEST(UrlMask, RedactAppliesIt) {
  EXPECT_EQ(redact("data set at postgres://app:PW@db/app"), "data set at postgres://app:[REDACTED]@db/app");
  EXPECT_EQ(redact("path vault://kv/x?token=PW"), "path vault://kv/x?token=[REDACTED]");
}

}  // namespace
}  // namespace complyd::testing
