#include "base/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace weft {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error::invalid_argument;
  return v;
}

Result<int> twice(int v) {
  WEFT_TRY(parse_positive(v));
  return 2 * v;
}

TEST(Result, HoldsValueOrError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), Error::invalid_argument);
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, TryPropagatesErrors) {
  EXPECT_EQ(*twice(4), 8);
  EXPECT_EQ(twice(0).error(), Error::invalid_argument);
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("x");
  ASSERT_TRUE(r);
  std::unique_ptr<std::string> taken = std::move(r).value();
  EXPECT_EQ(*taken, "x");
}

TEST(Result, VoidSpecialisation) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = Error::closed;
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), Error::closed);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  EXPECT_DEATH((void)parse_positive(0).value(), "check failed");
  EXPECT_DEATH((void)parse_positive(1).error(), "check failed");
}

}  // namespace
}  // namespace weft
