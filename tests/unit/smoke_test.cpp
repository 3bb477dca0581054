#include <gtest/gtest.h>
#include "checks/registry.hpp"
TEST(Registry, HasChecks) { EXPECT_NE(complyd::find_check("credential-age"), nullptr); }
