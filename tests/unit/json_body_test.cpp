// SPDX-License-Identifier: Apache-2.0
// A remote source's JSON reply with a number past a double's range: a
// SourceError that quotes nothing of the body (nlohmann's own message would
// quote the number), as a malformed reply is (tests/fuzz/replies_fuzz).
#include <gtest/gtest.h>

#include <string>

#include "daemon/sources/http_client.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {
namespace {

TEST(ParseJsonBody, ANumberPastADoublesRangeIsASourceErrorQuotingNothing) {
  HttpResponse r;
  r.status = 200;
  r.body = R"({"SecretList":[{"CreatedDate":179534e540}]})";
  try {
    (void)parse_json_body(r, "aws", "ListSecrets (page 1)");
    ADD_FAILURE() << "parsed";
  } catch (const SourceError& e) {
    EXPECT_STREQ(e.what(), "aws: ListSecrets (page 1): a number too large for a JSON number");
  }
}

}  // namespace
}  // namespace complyd
