// The process's allocator and giving freed memory back to the system.
#pragma once

namespace complyd {

// Returns freed heap pages to the system: after a cycle drops its snapshot
// (hundreds of MB at 100k customers), the service should hold only what it
// serves until the next cycle.
void return_free_memory();

// "jemalloc" or "glibc": which allocator this binary was built with.
const char* allocator_name();

}  // namespace complyd
