#include "base/log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::log {
namespace {

std::vector<std::string> g_lines;

void capture(Level l, std::string_view component, std::string_view message) {
  g_lines.push_back(std::string(level_name(l)) + " " + std::string(component) + " " +
                    std::string(message));
}

TEST(Log, FiltersByLevelAndFormats) {
  g_lines.clear();
  set_sink(capture);
  set_level(Level::info);
  debug("test", "hidden {}", 1);
  info("test", "shown {} {}", 2, "x");
  error("peer", "bad {}", 3);
  set_level(Level::off);
  error("peer", "never");
  set_level(Level::info);
  set_sink(nullptr);
  ASSERT_EQ(g_lines.size(), 2U);
  EXPECT_EQ(g_lines[0], "info test shown 2 x");
  EXPECT_EQ(g_lines[1], "error peer bad 3");
}

TEST(Log, ParsesLevelNames) {
  EXPECT_EQ(parse_level("debug"), Level::debug);
  EXPECT_EQ(parse_level("off"), Level::off);
  EXPECT_FALSE(parse_level("loud"));
}

}  // namespace
}  // namespace weft::log
