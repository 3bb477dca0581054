// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
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

namespace {

struct PasswordHash {
  int iterations = 0;
  std::string salt, hash;  // raw bytes
};

std::optional<std::string> unhex(std::string_view h) {
  if (h.empty() || h.size() % 2 != 0) return std::nullopt;
  std::string out(h.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    int v = 0;
    for (char c : h.substr(2 * i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else return std::nullopt;
    }
    out[i] = static_cast<char>(v);
  }
  return out;
}

std::optional<PasswordHash> parse_password_hash(std::string_view s) {
  constexpr std::string_view scheme = "pbkdf2-sha256$";
  if (!s.starts_with(scheme)) return std::nullopt;
  s.remove_prefix(scheme.size());
  const auto a = s.find('$');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = s.find('$', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  PasswordHash h;
  for (char c : s.substr(0, a)) {
    if (c < '0' || c > '9' || h.iterations > 100'000'000) return std::nullopt;
    h.iterations = h.iterations * 10 + (c - '0');
  }
  auto salt = unhex(s.substr(a + 1, b - a - 1));
  auto hash = unhex(s.substr(b + 1));
  if (h.iterations < 1000 || !salt || salt->size() < 8 || !hash || hash->size() != 32) return std::nullopt;
  h.salt = std::move(*salt);
  h.hash = std::move(*hash);
  return h;
}

std::string pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  unsigned char out[32];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        iterations, EVP_sha256(), sizeof out, out) != 1) {
    throw std::runtime_error("pbkdf2 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  const auto salt = random_bytes(16);
  const auto h = pbkdf2(password, salt, iterations);
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" +
         hex(reinterpret_cast<const unsigned char*>(salt.data()), salt.size()) + "$" +
         hex(reinterpret_cast<const unsigned char*>(h.data()), h.size());
}

bool valid_password_hash(std::string_view stored) { return parse_password_hash(stored).has_value(); }

bool verify_password(std::string_view stored, std::string_view password) {
  const auto h = parse_password_hash(stored);
  if (!h) return false;
  return constant_time_equal(pbkdf2(password, h->salt, h->iterations), h->hash);
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
