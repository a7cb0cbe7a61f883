#include "base/error.hpp"

#include <gtest/gtest.h>

#include <set>

namespace weft {
namespace {

TEST(Error, EveryEnumeratorHasADistinctNameAndAMessage) {
  std::set<std::string_view> names;
  for (int i = static_cast<int>(Error::invalid_argument); i <= static_cast<int>(Error::internal);
       ++i) {
    const auto e = static_cast<Error>(i);
    EXPECT_NE(name(e), "unknown") << i;
    EXPECT_FALSE(message(e).empty()) << i;
    EXPECT_TRUE(names.insert(name(e)).second) << name(e);
  }
  EXPECT_EQ(name(Error::connection_refused), "connection_refused");
  EXPECT_EQ(message(Error::truncated), "input is truncated");
}

}  // namespace
}  // namespace weft
