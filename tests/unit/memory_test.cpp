// SPDX-License-Identifier: Apache-2.0
// The allocator the binary runs on, and giving freed memory back between cycles.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <memory>
#include <vector>

#include "daemon/util/memory.hpp"

namespace complyd {
namespace {

long resident_kb() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(Memory, TheBuiltInAllocatorOptionsAreInEffect) {
  const std::string d = allocator_description();
#if COMPLYD_EXPECT_JEMALLOC
  // What daemon/util/memory.cpp asks for (unless MALLOC_CONF says otherwise).
  if (std::getenv("MALLOC_CONF") == nullptr) { EXPECT_EQ(d, "jemalloc (huge pages always, 1 arena)"); }
#else
  EXPECT_EQ(d, "glibc");
#endif
}

// A cycle's snapshot is millions of small objects: once freed, they must
// leave the process's resident memory when asked, not only at exit.
TEST(Memory, FreedSmallObjectsLeaveResidentMemoryWhenAsked) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizer's allocator keeps freed memory (docs/fuzzing.md)";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  GTEST_SKIP() << "the sanitizer's allocator keeps freed memory (docs/fuzzing.md)";
#endif
#endif
  constexpr std::size_t kObjects = 256 * 1024, kSize = 256;  // 64 MiB
  std::vector<std::unique_ptr<char[]>> objects;
  objects.reserve(kObjects);
  for (std::size_t i = 0; i < kObjects; ++i) {
    objects.emplace_back(new char[kSize]);
    std::fill_n(objects.back().get(), kSize, static_cast<char>(i));
  }
  const long full = resident_kb();
  std::vector<std::unique_ptr<char[]>>().swap(objects);
  ASSERT_TRUE(return_free_memory());
  const long after = resident_kb();
  ASSERT_GT(full, 0);
  EXPECT_LT(after, full - 32 * 1024) << "resident " << full << " kB before, " << after << " kB after";
}

}  // namespace
}  // namespace complyd
