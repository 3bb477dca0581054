#pragma once
namespace complyd {
inline constexpr const char* kVersion = COMPLYD_VERSION;
}
