// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

// Each thread keeps the registered list it last saw: a secret registered on
// another thread, later, is masked all the same, and so is a longer one that
// contains an earlier one.
TEST(Redact, ASecretRegisteredOnAnotherThreadIsMaskedByThreadsThatRedactedBefore) {
  clear_registered_secretsForTest();
  std::mutex mu;
  std::condition_variable cv;
  int step = 0;
  std::vector<std::string> seen;
  std::thread reader([&] {
    std::unique_lock lock(mu);
    for (int want : {1, 3}) {  // the main thread's turns are odd, the reader's even
      cv.wait(lock, [&] { return step == want; });
      seen.push_back(redact("a=CANARY-thread-1 b=CANARY-thread-1-longer"));
      ++step;
      cv.notify_all();
    }
  });
  const auto advance = [&](int to) {
    std::unique_lock lock(mu);
    step = to;
    cv.notify_all();
    cv.wait(lock, [&] { return step == to + 1; });
  };
  register_secret("CANARY-thread-1");
  advance(1);
  register_secret("CANARY-thread-1-longer");
  advance(3);
  reader.join();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "a=[REDACTED] b=[REDACTED]-longer");
  EXPECT_EQ(seen[1], "a=[REDACTED] b=[REDACTED]");
  clear_registered_secretsForTest();
  EXPECT_EQ(redact("CANARY-thread-1"), "CANARY-thread-1");
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
                      Case{"rotated 2026-11-22T10:00:00Z", "rotated 2026-11-22T10:00:00Z"},
                      // Prose after a colon is not a value: the remediation text keeps its words.
                      Case{"Re-sync the webhook secret: generate a new secret, store it",
                           "Re-sync the webhook secret: generate a new secret, store it"},
                      Case{"Rotate the token: revoke it first", "Rotate the token: revoke it first"},
                      // Still masked: a word that ends the line, a quoted or '=' value, a non-word value.
                      Case{"password: hunterxx", "password: [REDACTED]"},
                      Case{"password: hunterxx\nnext", "password: [REDACTED]\nnext"},
                      Case{R"({"secret": "generate a"})", R"({"secret": "[REDACTED] a"})"},
                      Case{"secret=generate a new one", "secret=[REDACTED] a new one"},
                      Case{"secret: gen3rate a new one", "secret: [REDACTED] a new one"},
                      Case{"secret: Generated a new one", "secret: [REDACTED] a new one"}));

}  // namespace
}  // namespace complyd
