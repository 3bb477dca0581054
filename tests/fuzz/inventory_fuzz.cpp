// SPDX-License-Identifier: Apache-2.0
// Inventory row decoding: arbitrary rows, of any SQLite type in any column
// (SQLite does not enforce declared types), written to an inventory and read
// back by the inventory source (daemon/sources/inventory.cpp), then every
// check evaluated over the facts it produced. A bad row is a problem or a
// failed source or check, never a crash.
//
// One line per row: the table's digit (0 customers, 1 credentials,
// 2 webhook_subscriptions, 3 webhook_verifications, 4 data_sets,
// 5 audit_events, 6 reader_scopes, 7 attestations, 8 api_endpoints), then
// the columns in order, separated by '|': "~" is NULL, "#N" an integer,
// "%X" a real, anything else text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "checks/registry.hpp"
#include "daemon/sources/inventory.hpp"
#include "daemon/util/sqlite.hpp"

namespace {

using namespace complyd;
namespace fs = std::filesystem;

struct Table {
  const char* name;
  int columns;
};
constexpr Table kTables[] = {{"customers", 9},      {"credentials", 12},  {"webhook_subscriptions", 6},
                             {"webhook_verifications", 5}, {"data_sets", 9}, {"audit_events", 6},
                             {"reader_scopes", 2},  {"attestations", 6},  {"api_endpoints", 3}};

const fs::path& inventory_path() {
  static const fs::path p = [] {
    char tmpl[] = "/tmp/complyd-inventory-fuzz-XXXXXX";
    const fs::path dir = ::mkdtemp(tmpl);
    create_inventory_schema(dir / "inventory.db");
    return dir / "inventory.db";
  }();
  return p;
}

void bind_value(sql::Stmt& s, int i, std::string_view v) {
  if (v == "~") {
    s.bind_null(i);
  } else if (v.starts_with('#')) {
    s.bind(i, static_cast<std::int64_t>(std::strtoll(std::string(v.substr(1)).c_str(), nullptr, 10)));
  } else if (v.starts_with('%')) {
    s.bind(i, std::strtod(std::string(v.substr(1)).c_str(), nullptr));
  } else {
    s.bind(i, v);
  }
}

void write_rows(std::string_view text) {
  sql::Db db(inventory_path(), sql::OpenMode::read_write_create);
  db.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN");
  for (const auto& t : kTables) db.exec(std::string("DELETE FROM ") + t.name);
  std::size_t rows = 0;
  while (!text.empty() && rows++ < 64) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty()) continue;
    const Table& t = kTables[static_cast<unsigned char>(line[0]) % std::size(kTables)];
    line.remove_prefix(1);
    std::string sql = std::string("INSERT OR IGNORE INTO ") + t.name + " VALUES(?";
    for (int i = 1; i < t.columns; ++i) sql += ",?";
    sql += ")";
    sql::Stmt s(db, sql);
    for (int i = 1; i <= t.columns; ++i) {
      const auto bar = line.find('|');
      if (line.empty() && bar == std::string_view::npos) {
        s.bind_null(i);
        continue;
      }
      bind_value(s, i, line.substr(0, bar));
      line = bar == std::string_view::npos ? std::string_view{} : line.substr(bar + 1);
    }
    try {
      s.run();
    } catch (const std::exception&) {
      // A constraint the schema enforces (a primary key's type): not a row the source can see.
    }
  }
  db.exec("COMMIT");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_rows(std::string_view(reinterpret_cast<const char*>(data), size));
  const Time now = *parse_time("2026-11-22T10:00:00Z");
  InventoryConfig cfg;
  cfg.path = inventory_path();
  InventorySource source(cfg);
  Facts facts;
  std::vector<std::string> problems;
  try {
    source.collect(facts, now, problems);
  } catch (const std::exception&) {
    return 0;  // a failed source: the cycle reports it (source-unavailable)
  }
  for (const CheckDef* def : all_checks()) {
    const Params params = default_params(def->info);
    try {
      (void)def->evaluate(CheckContext{facts, now, params, def->info.default_severity});
    } catch (const std::exception&) {
      // A failed check: the cycle reports it and keeps the check's findings.
    }
  }
  return 0;
}
