// SPDX-License-Identifier: Apache-2.0
// Hashes for finding ids, keyed fingerprints and token comparison (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace complyd {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);
std::string random_bytes(std::size_t n);

// Estimated entropy of a secret value in bytes (Credential::entropy_bytes):
// length x bits per character of the smallest usual alphabet holding it (hex,
// base64, alphanumerics, printable), lowered for visibly non-random values
// (low Shannon entropy, e.g. repeats). An upper bound, not a proof of
// randomness: it catches short and patterned secrets.
double estimate_entropy_bytes(std::string_view value);

// Console passwords (PBKDF2-HMAC-SHA256 through EVP), stored as
// "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX" in a password_hash_file.
inline constexpr int kPasswordIterations = 600000;  // OWASP's figure for PBKDF2-SHA256
std::string hash_password(std::string_view password, int iterations = kPasswordIterations);
// Whether `stored` has the form above (the loader's check; no password needed).
bool valid_password_hash(std::string_view stored);
// Recomputes with the stored salt and iterations and compares in constant time.
bool verify_password(std::string_view stored, std::string_view password);

}  // namespace complyd
