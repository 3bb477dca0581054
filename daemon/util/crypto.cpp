// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace complyd {
namespace {
std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xf];
  }
  return out;
}

// Fetched once: with EVP_sha256() OpenSSL 3 looks the implementation up again
// on every digest, under a process-wide lock that the report states' threads
// (100k digests a cycle) contend for.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}
}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, sha256_md(), nullptr) != 1) {
    throw std::runtime_error("sha256 failed");
  }
  return hex(md, len);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr) {
    throw std::runtime_error("hmac-sha256 failed");
  }
  return hex(md, len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

double estimate_entropy_bytes(std::string_view v) {
  while (!v.empty() && v.back() == '=') v.remove_suffix(1);  // base64 padding carries no entropy
  if (v.empty()) return 0;
  bool lower = false, upper = false, digit = false, b64 = false, other = false, hex_lower = true, hex_upper = true;
  std::array<std::size_t, 256> count{};
  for (unsigned char c : v) {
    ++count[c];
    const bool is_lower = c >= 'a' && c <= 'z', is_upper = c >= 'A' && c <= 'Z', is_digit = c >= '0' && c <= '9';
    lower |= is_lower;
    upper |= is_upper;
    digit |= is_digit;
    b64 |= c == '+' || c == '/' || c == '-' || c == '_';
    other |= !is_lower && !is_upper && !is_digit && c != '+' && c != '/' && c != '-' && c != '_';
    hex_lower &= is_digit || (c >= 'a' && c <= 'f');
    hex_upper &= is_digit || (c >= 'A' && c <= 'F');
  }
  double alphabet = 0;
  if (other) {
    alphabet = 95;  // printable ASCII
  } else if (hex_lower || hex_upper) {
    alphabet = digit && !(lower || upper) ? 10 : 16;
  } else if (b64 || (lower && upper)) {
    alphabet = 64;  // base64 / base64url: a random value may lack digits or symbols by chance
  } else {
    alphabet = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0);
  }
  double shannon = 0;
  const double n = static_cast<double>(v.size());
  for (std::size_t k : count) {
    if (k == 0) continue;
    const double p = static_cast<double>(k) / n;
    shannon -= p * std::log2(p);
  }
  // A random value's measured per-character entropy falls a little short of
  // its alphabet's (small samples); a much lower one means a pattern.
  const double bits_per_char = std::min(std::log2(alphabet), shannon * 1.5);
  return n * bits_per_char / 8.0;
}

}  // namespace complyd
