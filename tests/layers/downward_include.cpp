// SPDX-License-Identifier: Apache-2.0
// The control for upward_include.cpp: the same engine view resolves a layer
// below it, so the upward probe fails for the reason it names and no other.
#include "daemon/sources/source.hpp"
#include "model/finding.hpp"
