// SPDX-License-Identifier: Apache-2.0
// The operator running this process, as the OS knows them.
#pragma once

#include "model/actor.hpp"

namespace complyd {

// getpwuid(getuid()); as root under sudo, the invoking user (SUDO_UID),
// recorded as "alice (via sudo)". Environment names (USER, LOGNAME,
// SUDO_USER) are never read: anyone can set them.
Actor os_actor();

}  // namespace complyd
