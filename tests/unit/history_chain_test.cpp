// SPDX-License-Identifier: Apache-2.0
// The history chain's canonical form is what an auditor's script rebuilds
// with Python's json.dumps (docs/history-chain.md): byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "daemon/store/chain.hpp"

namespace complyd {
namespace {

template <std::size_t N>
bool sorted_columns(const char* const (&names)[N]) {
  return std::is_sorted(std::begin(names), std::end(names),
                        [](const char* a, const char* b) { return std::string_view(a) < std::string_view(b); });
}

TEST(HistoryChainCanonical, ColumnsAreInSortedKeyOrder) {
  EXPECT_TRUE(sorted_columns(chain::kEventColumns));
  EXPECT_TRUE(sorted_columns(chain::kCycleColumns));
  EXPECT_TRUE(sorted_columns(chain::kOutboxColumns));
}

TEST(HistoryChainCanonical, MatchesPythonsJsonDumpsAndItsHash) {
  // Expected values from: json.dumps(body, sort_keys=True, separators=(",", ":"),
  // ensure_ascii=False) and hashlib.sha256(("0" * 64 + canonical).encode()).
  const char* names[] = {"a", "b", "c"};
  const std::string text = "q\"\\\n\t\x01\xc3\xa9";
  const chain::Value values[] = {chain::Value::none(), chain::Value::of(std::int64_t{7}),
                                 chain::Value::of(std::string_view(text))};
  std::string out;
  chain::canonical(out, "t", 3, names, values, 3);
  EXPECT_EQ(out, "{\"record\":{\"a\":null,\"b\":7,\"c\":\"q\\\"\\\\\\n\\t\\u0001\xc3\xa9\"},\"seq\":3,\"table\":\"t\"}");
  EXPECT_EQ(chain::link_hash(chain::kGenesis, out),
            "9598a08ee99cf0d5550d401ae26994dd6d5bfa7e2391898d042a8de6fd4f4c6e");
}

}  // namespace
}  // namespace complyd
