// SPDX-License-Identifier: Apache-2.0
// The process's allocator and giving freed memory back to the system.
#pragma once

#include <string>

namespace complyd {

// Returns freed heap pages to the system: after a cycle drops its snapshot
// (hundreds of MB at 100k customers), the service should hold only what it
// serves until the next cycle. False when the allocator refused.
bool return_free_memory();

// Which allocator this binary runs on, with the options in effect (as
// jemalloc read them: the built-in ones, or MALLOC_CONF's), for the start-up
// log line.
std::string allocator_description();

}  // namespace complyd
