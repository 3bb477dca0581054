// SPDX-License-Identifier: Apache-2.0
// Log levels, apart from the logger: the configuration names one, and
// Boost.Log's headers stay out of everything that includes the configuration.
#pragma once

#include <optional>
#include <string_view>

namespace complyd::log {

enum class Level { debug, info, notice, warning, error };
std::optional<Level> level_from(std::string_view s);

}  // namespace complyd::log
