// Hashes for finding ids, keyed fingerprints and token comparison (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace complyd {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);
std::string random_bytes(std::size_t n);

}  // namespace complyd
