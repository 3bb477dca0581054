#include "daemon/util/memory.hpp"

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

void return_free_memory() {
#if COMPLYD_WITH_JEMALLOC
  mallctl("arena." COMPLYD_STR(MALLCTL_ARENAS_ALL) ".purge", nullptr, nullptr, nullptr, 0);
#elif defined(__GLIBC__)
  malloc_trim(0);
#endif
}

const char* allocator_name() {
#if COMPLYD_WITH_JEMALLOC
  return "jemalloc";
#else
  return "glibc";
#endif
}

}  // namespace complyd
