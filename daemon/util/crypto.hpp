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

}  // namespace complyd
