// SPDX-License-Identifier: Apache-2.0
// Compiled against the engine's include view by the `layers.*` tests: the
// engine sits below notify, so this include must not resolve.
#include "daemon/notify/outbox.hpp"
