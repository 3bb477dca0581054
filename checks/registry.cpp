#include "checks/registry.hpp"

#include <array>

namespace complyd {

// One declaration and one entry per check, in catalogue order.
const CheckDef& credential_age_check();
const CheckDef& offboarding_completeness_check();
const CheckDef& source_unavailable_check();

std::span<const CheckDef* const> all_checks() {
  static const auto checks = std::to_array<const CheckDef*>({
      &credential_age_check(),
      &offboarding_completeness_check(),
      &source_unavailable_check(),
  });
  return checks;
}

const CheckDef* find_check(std::string_view id) {
  for (const CheckDef* c : all_checks()) {
    if (c->info.id == id) return c;
  }
  return nullptr;
}

}  // namespace complyd
