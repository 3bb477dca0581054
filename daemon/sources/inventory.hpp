// SPDX-License-Identifier: Apache-2.0
// The embedded default source: an SQLite inventory database whose schema is
// schema/inventory.sql (documented in docs/inventory.md). Opened read-only.
#pragma once

#include "daemon/config/config.hpp"
#include "daemon/sources/source.hpp"

namespace complyd {

class InventorySource final : public Source {
 public:
  // `readers`: threads that read the verification counters side by side.
  // `counters_from`: read the counters back to it when that is earlier than
  // kVerificationLookback (after a gap in the cycles).
  explicit InventorySource(InventoryConfig cfg, unsigned readers = 1, std::optional<Time> counters_from = {});
  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  std::vector<FactKind> provides() const override;
  void collect(Facts& into, Time now, std::vector<std::string>& problems) override;
  bool checks_text() const override { return true; }

  // How far back verification counters are read (the longest window any
  // check looks at, plus a margin).
  static constexpr Duration kVerificationLookback{26 * 3600};

 private:
  InventoryConfig cfg_;
  unsigned readers_;
  std::optional<Time> counters_from_;
  std::string name_ = "inventory";
  std::string type_ = "inventory";
};

// Creates an empty inventory with the current schema (demo, tests, bench).
void create_inventory_schema(const std::filesystem::path& path);

}  // namespace complyd
