// SPDX-License-Identifier: Apache-2.0
#include "daemon/util/memory.hpp"

#include <cstddef>

#if COMPLYD_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>

#define COMPLYD_STR2(x) #x
#define COMPLYD_STR(x) COMPLYD_STR2(x)

// jemalloc reads its options from this symbol at start-up (docs/operations.md,
// Capacity). A cycle allocates millions of small objects on several threads
// and frees most of them together: transparent huge pages (where the kernel
// offers them on request) cut the page faults of first touching that memory
// by up to 512 times, and one arena keeps what one thread frees reusable by
// the others instead of fragmenting per-thread arenas as glibc's do.
// MALLOC_CONF in the environment still overrides these.
extern "C" {
const char* malloc_conf = "thp:always,metadata_thp:always,narenas:1";
}
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace complyd {

bool return_free_memory() {
#if COMPLYD_WITH_JEMALLOC
  return mallctl("arena." COMPLYD_STR(MALLCTL_ARENAS_ALL) ".purge", nullptr, nullptr, nullptr, 0) == 0;
#elif defined(__GLIBC__)
  malloc_trim(0);
  return true;
#else
  return false;
#endif
}

std::string allocator_description() {
#if COMPLYD_WITH_JEMALLOC
  const char* thp = "?";
  unsigned arenas = 0;
  std::size_t size = sizeof thp;
  mallctl("opt.thp", &thp, &size, nullptr, 0);
  size = sizeof arenas;
  mallctl("opt.narenas", &arenas, &size, nullptr, 0);
  return std::string("jemalloc (huge pages ") + thp + ", " + std::to_string(arenas) + " arena" +
         (arenas == 1 ? ")" : "s)");
#else
  return "glibc";
#endif
}

}  // namespace complyd
