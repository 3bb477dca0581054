// SPDX-License-Identifier: Apache-2.0
#pragma once
namespace complyd {
inline constexpr const char* kVersion = COMPLYD_VERSION;
}
