#include "checks/facts.hpp"

#include <algorithm>

namespace complyd {

const char* to_string(FactKind k) {
  switch (k) {
    case FactKind::customers: return "customers";
    case FactKind::credentials: return "credentials";
    case FactKind::webhooks: return "webhooks";
    case FactKind::verifications: return "verifications";
    case FactKind::data_sets: return "data_sets";
    case FactKind::audit_events: return "audit_events";
    case FactKind::attestations: return "attestations";
    case FactKind::api_endpoints: return "api_endpoints";
    case FactKind::file_scans: return "file_scans";
    case FactKind::outbox: return "outbox";
    case FactKind::secret_stores: return "secret_stores";
    case FactKind::customer_activity: return "customer_activity";
  }
  return "unknown";
}

const char* to_string(LeakKind k) {
  switch (k) {
    case LeakKind::bearer_token: return "bearer_token";
    case LeakKind::token_assignment: return "token_assignment";
    case LeakKind::private_key: return "private_key";
    case LeakKind::env_file: return "env_file";
    case LeakKind::card_number: return "card_number";
    case LeakKind::donor_email: return "donor_email";
  }
  return "unknown";
}

std::optional<LeakKind> leak_kind_from(std::string_view s) {
  for (auto v : {LeakKind::bearer_token, LeakKind::token_assignment, LeakKind::private_key, LeakKind::env_file,
                 LeakKind::card_number, LeakKind::donor_email}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

const char* to_string(CustomerStatus s) {
  switch (s) {
    case CustomerStatus::active: return "active";
    case CustomerStatus::offboarding: return "offboarding";
    case CustomerStatus::offboarded: return "offboarded";
  }
  return "unknown";
}

std::optional<CustomerStatus> customer_status_from(std::string_view s) {
  for (auto v : {CustomerStatus::active, CustomerStatus::offboarding, CustomerStatus::offboarded}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

const char* to_string(CredentialRole r) {
  switch (r) {
    case CredentialRole::current: return "current";
    case CredentialRole::previous: return "previous";
    case CredentialRole::pending: return "pending";
    case CredentialRole::revoked: return "revoked";
  }
  return "unknown";
}

std::optional<CredentialRole> credential_role_from(std::string_view s) {
  for (auto v : {CredentialRole::current, CredentialRole::previous, CredentialRole::pending,
                 CredentialRole::revoked}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

const char* to_string(SubscriptionStatus s) {
  switch (s) {
    case SubscriptionStatus::active: return "active";
    case SubscriptionStatus::inactive: return "inactive";
    case SubscriptionStatus::deleted: return "deleted";
  }
  return "unknown";
}

std::optional<SubscriptionStatus> subscription_status_from(std::string_view s) {
  for (auto v : {SubscriptionStatus::active, SubscriptionStatus::inactive, SubscriptionStatus::deleted}) {
    if (s == to_string(v)) return v;
  }
  return std::nullopt;
}

bool Facts::kind_complete(FactKind k) const {
  return std::none_of(sources.begin(), sources.end(), [k](const SourceStatus& s) {
    return !s.ok && std::find(s.provides.begin(), s.provides.end(), k) != s.provides.end();
  });
}

}  // namespace complyd
