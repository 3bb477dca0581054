#include <gtest/gtest.h>

#include "daemon/log/redact.hpp"

namespace complyd {
namespace {

TEST(Redact, RegisteredSecretsAreMaskedWherever) {
  clear_registered_secretsForTest();
  register_secret("CANARY-abcdef-123\n");
  EXPECT_EQ(redact("x=CANARY-abcdef-123;y"), "x=[REDACTED];y");
  EXPECT_EQ(redact("CANARY-abcdef-123CANARY-abcdef-123"), "[REDACTED][REDACTED]");
  register_secret("abc");  // too short to register
  EXPECT_EQ(redact("abc"), "abc");
  clear_registered_secretsForTest();
}

struct Case {
  std::string in;
  std::string out;
};
class RedactPatterns : public ::testing::TestWithParam<Case> {};
TEST_P(RedactPatterns, Masks) { EXPECT_EQ(redact(GetParam().in), GetParam().out); }
INSTANTIATE_TEST_SUITE_P(
    Shapes, RedactPatterns,
    ::testing::Values(Case{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc", "Authorization: Bearer [REDACTED]"},
                      Case{"https://x.example/hook?token=s3cr3tvalue99&x=1", "https://x.example/hook?token=[REDACTED]&x=1"},
                      Case{R"({"securityToken": "dHi2bHP3oP4xyz="})", R"({"securityToken": "[REDACTED]"})"},
                      Case{"apiKey=AKIAEXAMPLE1234", "apiKey=[REDACTED]"},
                      Case{"card 4111 1111 1111 1111 declined", "card [REDACTED PAN] declined"},
                      Case{"cycle 12 opened 3 findings", "cycle 12 opened 3 findings"},
                      Case{"rotated 2026-11-22T10:00:00Z", "rotated 2026-11-22T10:00:00Z"}));

}  // namespace
}  // namespace complyd
