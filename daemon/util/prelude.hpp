// SPDX-License-Identifier: Apache-2.0
// Included before any Boost.Asio header: Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility>, which GCC 12 in C++20 rejects.
#pragma once
#include <utility>
