// SPDX-License-Identifier: Apache-2.0
// The redaction layer every log line, error message and stored text passes:
// registered secret values (read from *_file paths) and secret-shaped patterns
// are replaced before anything leaves the process.
#pragma once

#include <string>
#include <string_view>

namespace complyd {

// Registers a secret value so it is masked wherever it appears. Values shorter
// than 6 bytes are ignored (they would mask ordinary words).
void register_secret(std::string_view value);
// For tests: forget registered values.
void clear_registered_secretsForTest();

std::string redact(std::string_view text);

}  // namespace complyd
