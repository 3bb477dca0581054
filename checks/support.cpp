// SPDX-License-Identifier: Apache-2.0
#include "checks/support.hpp"

namespace complyd {

std::string credential_subject(const Credential& c) {
  if (!c.storage_path.empty()) return c.storage_path;
  if (c.role == CredentialRole::current) return c.kind;
  return c.kind + "." + to_string(c.role);
}

CustomerIndex::CustomerIndex(const Facts& facts) {
  by_id_.reserve(facts.customers.size());
  for (const auto& c : facts.customers) by_id_.emplace(c.id, &c);
}

const Customer* CustomerIndex::find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace complyd
