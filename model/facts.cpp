// SPDX-License-Identifier: Apache-2.0
#include "model/facts.hpp"

#include <algorithm>

namespace complyd {

namespace {

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

// Reads one varint; a truncated one (never written by PackedMinutes) ends the input.
bool get_varint(const std::uint8_t*& at, const std::uint8_t* end, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; at != end && shift < 64; shift += 7) {
    const std::uint8_t b = *at++;
    v |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

// Deltas wrap in 64 bits, so every int64 minute round-trips.
PackedMinutes::PackedMinutes(std::span<const VerificationMinute> minutes) : count_(minutes.size()) {
  bytes_.reserve(minutes.size() * 5 + 8);
  std::uint64_t prev = 0;
  for (const auto& m : minutes) {
    const auto delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(m.minute) - prev);
    put_varint(bytes_, (static_cast<std::uint64_t>(delta) << 1) ^ static_cast<std::uint64_t>(delta >> 63));
    put_varint(bytes_, m.ok);
    put_varint(bytes_, m.fail);
    put_varint(bytes_, m.unsigned_processed);
    prev = static_cast<std::uint64_t>(m.minute);
  }
  bytes_.shrink_to_fit();
}

void PackedMinutes::const_iterator::load() {
  std::uint64_t z = 0, ok = 0, fail = 0, uns = 0;
  if (at_ == end_ || !get_varint(at_, end_, z) || !get_varint(at_, end_, ok) || !get_varint(at_, end_, fail) ||
      !get_varint(at_, end_, uns)) {
    *this = const_iterator{};
    return;
  }
  const std::uint64_t delta = (z >> 1) ^ (~(z & 1) + 1);
  current_.minute = static_cast<std::int64_t>(static_cast<std::uint64_t>(current_.minute) + delta);
  current_.ok = static_cast<std::uint32_t>(ok);
  current_.fail = static_cast<std::uint32_t>(fail);
  current_.unsigned_processed = static_cast<std::uint32_t>(uns);
  done_ = false;
}

void PackedMinutes::decode_into(std::vector<VerificationMinute>& out) const {
  out.clear();
  out.reserve(count_);
  for (const auto m : *this) out.push_back(m);
}

std::vector<VerificationMinute> PackedMinutes::decode() const {
  std::vector<VerificationMinute> out;
  decode_into(out);
  return out;
}

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
    case FactKind::history: return "history";
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
