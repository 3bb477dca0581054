// SPDX-License-Identifier: Apache-2.0
// estimate_entropy_bytes: what the vault source's fingerprint mode records as
// entropy_bytes for webhook-secret-strength.
#include <gtest/gtest.h>

#include <string>

#include "daemon/util/crypto.hpp"

namespace complyd {
namespace {

std::string hex(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 0xf];
  }
  return out;
}

std::string base64url(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += a[(v >> s) & 63];
  }
  if (bytes.size() - i == 2) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    for (int s = 18; s >= 6; s -= 6) out += a[(v >> s) & 63];
  }
  return out;
}

TEST(EntropyEstimate, ThirtyTwoRandomBytesReachThirtyTwoInHexAndBase64) {
  for (int i = 0; i < 200; ++i) {
    const std::string b = random_bytes(32);
    EXPECT_DOUBLE_EQ(estimate_entropy_bytes(hex(b)), 32.0);
    const std::string b64 = base64url(b);
    ASSERT_EQ(b64.size(), 43u);
    EXPECT_GE(estimate_entropy_bytes(b64), 32.0) << b64;
    EXPECT_GE(estimate_entropy_bytes(b64 + "="), 32.0);  // padding adds nothing, takes nothing
  }
}

TEST(EntropyEstimate, ShortAndPatternedSecretsFallShort) {
  EXPECT_DOUBLE_EQ(estimate_entropy_bytes(""), 0.0);
  EXPECT_DOUBLE_EQ(estimate_entropy_bytes(std::string(64, 'a')), 0.0);
  EXPECT_LT(estimate_entropy_bytes(hex(random_bytes(16))), 16.01);
  EXPECT_LT(estimate_entropy_bytes("abababababababababababababababababababababababababababababababab"), 16.0);
  EXPECT_LT(estimate_entropy_bytes("passwordpasswordpassword"), 16.0);
  EXPECT_NEAR(estimate_entropy_bytes("12345678901234567890"), 20 * 3.321928 / 8, 1e-3);  // digits
}

}  // namespace
}  // namespace complyd
