#include <gtest/gtest.h>
TEST(Binary, Exists) { SUCCEED(); }
