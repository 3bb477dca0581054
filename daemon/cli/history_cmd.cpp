// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "daemon/cli/cli.hpp"
#include "daemon/store/chain.hpp"

namespace complyd::cli {
namespace {

void print_break(const HistoryIntegrity& h) {
  std::cerr << fmt::format("complyd: history chain broken at {} row {} (record {}): {}; records 1..{} verify\n",
                           h.table, h.row_id, h.seq, h.problem, h.head_seq);
}

}  // namespace

void add_history_commands(CLI::App& app, State& st) {
  struct Opts {
    std::string since;
  };
  auto o = std::make_shared<Opts>();
  auto* c = app.add_subcommand("history", "Verify and export the tamper-evident history");
  c->require_subcommand(1);

  auto* verify = c->add_subcommand("verify", "Recompute the whole history chain; exit 1 at the first broken record");
  add_config_option(verify, st);
  add_state_option(verify, st);
  verify->callback([&st] {
    st.exit_code = with_store(st, [&](const Config&, StateStore& store) {
      const auto v = chain::verify(store.db());
      if (!v.result.intact) {
        print_break(v.result);
        return kRuntime;
      }
      std::cout << fmt::format("history chain intact: {} records, head {} {}\n", v.result.records,
                               v.result.head_seq, v.result.head_hash);
      return kOk;
    });
  });

  auto* exp = c->add_subcommand(
      "export", "Write the records since a time with their hashes as JSON lines (docs/history-chain.md)");
  add_config_option(exp, st);
  add_state_option(exp, st);
  exp->add_option("--since", o->since, "RFC 3339 time or date: records at or after it")->required();
  exp->callback([o, &st] {
    if (!valid_time_option(o->since)) {
      st.exit_code = kUsage;
      return;
    }
    const Time since = *parse_time(o->since);
    st.exit_code = with_store(st, [&](const Config&, StateStore& store) {
      std::string line;
      bool started = false;
      const auto v = chain::verify(store.db(), {}, [&](const chain::Record& r) {
        // From the first record at or after `since`, then every record after
        // it: a contiguous stretch of the chain, whatever its times.
        if (!started && r.at && *r.at < since) return;
        started = true;
        line.clear();
        // Keys sorted, as everything the auditor hashes.
        line += fmt::format(R"({{"hash":"{}","prev_hash":"{}","record":)", r.stored_hash, r.prev_hash);
        line += r.record_json;
        line += fmt::format(R"(,"seq":{},"table":"{}"}})", r.seq, r.table);
        line += '\n';
        std::cout << line;
      });
      std::cout.flush();
      if (!v.result.intact) {
        // The records before the break were written; the rest cannot be vouched for.
        print_break(v.result);
        return kRuntime;
      }
      return kOk;
    });
  });
}

}  // namespace complyd::cli
