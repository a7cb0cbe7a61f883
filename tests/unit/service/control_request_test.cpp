#include "service/control_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "service/weftd_config.hpp"

namespace weft::service {
namespace {

using Command = ControlRequest::Command;

ControlRequest ok(std::string_view line) {
  auto r = parse_control_request(line);
  EXPECT_TRUE(std::holds_alternative<ControlRequest>(r))
      << line << ": " << std::get<ControlError>(r).message;
  return std::holds_alternative<ControlRequest>(r) ? std::get<ControlRequest>(r) : ControlRequest{};
}

ControlError bad(std::string_view line) {
  auto r = parse_control_request(line);
  EXPECT_TRUE(std::holds_alternative<ControlError>(r)) << line;
  return std::holds_alternative<ControlError>(r) ? std::get<ControlError>(r) : ControlError{};
}

TEST(ControlRequest, ParsesEveryCommand) {
  EXPECT_EQ(ok(R"({"cmd":"status"})").command, Command::status);
  EXPECT_EQ(ok(R"({"cmd":"peers"})").command, Command::peers);
  EXPECT_EQ(ok(R"({"cmd":"networks"})").command, Command::networks);
  EXPECT_EQ(ok(R"( {"cmd" : "stats"} )").command, Command::stats);
  const auto join = ok(R"({"cmd":"join","network":"8056c2e21c000001"})");
  EXPECT_EQ(join.command, Command::join);
  ASSERT_TRUE(join.network);
  EXPECT_EQ(join.network->to_string(), "8056c2e21c000001");
  EXPECT_EQ(ok(R"({"network":"8056c2e21c000001","cmd":"leave"})").command, Command::leave);
}

TEST(ControlRequest, RefusesWithAMessageNamingTheProblem) {
  EXPECT_EQ(bad("not json").code, Error::malformed);
  EXPECT_EQ(bad("").code, Error::malformed);
  EXPECT_EQ(bad(R"(["cmd","status"])").code, Error::malformed);
  EXPECT_EQ(bad(R"({"cmd":{"x":1}})").code, Error::malformed);  // nested
  EXPECT_EQ(bad(std::string(10000, '[')).code, Error::malformed);
  EXPECT_EQ(bad(R"({"cmd":7})").message, "\"cmd\" (a string) is missing");
  EXPECT_EQ(bad(R"({"cmd":"reboot"})").code, Error::unsupported);
  const auto extra = bad(R"({"cmd":"status","network":"8056c2e21c000001"})");
  EXPECT_EQ(extra.code, Error::invalid_argument);
  EXPECT_EQ(extra.message, "unknown key \"network\" for status");
  EXPECT_EQ(bad(R"({"cmd":"join"})").message, "\"network\" (16 hex digits) is missing");
  EXPECT_EQ(bad(R"({"cmd":"join","network":"xyz"})").code, Error::invalid_argument);
  EXPECT_EQ(bad(std::string(kMaxControlLine + 1, ' ')).code, Error::too_large);
  // Brackets inside strings are text, not nesting.
  EXPECT_EQ(bad(R"({"cmd":"[[{{"})").code, Error::unsupported);
}

TEST(WeftdConfig, ReadsEveryKeyAndNamesTheWrongOne) {
  const auto empty = parse_weftd_config("{}");
  ASSERT_TRUE(std::holds_alternative<WeftdConfig>(empty));
  EXPECT_FALSE(std::get<WeftdConfig>(empty).roots);
  const auto full =
      parse_weftd_config(R"({"listen":"127.0.0.1:0","log_level":"debug","roots":[]})");
  ASSERT_TRUE(std::holds_alternative<WeftdConfig>(full));
  EXPECT_EQ(std::get<WeftdConfig>(full).listen->to_string(), "127.0.0.1:0");
  EXPECT_EQ(std::get<WeftdConfig>(full).log_level, log::Level::debug);
  const auto error = [](std::string_view text) {
    auto r = parse_weftd_config(text);
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string("ok");
  };
  EXPECT_EQ(error(R"({"colour":"red"})"),
            "unknown key \"colour\" (known: roots, listen, log_level, tap)");
  EXPECT_EQ(error(R"({"roots":"x"})"), "\"roots\" must be a list of strings");
  EXPECT_NE(error(R"({"roots":["nope"]})").find("\"roots\"[0]"), std::string::npos);
  EXPECT_NE(error(R"({"listen":"nowhere"})").find("\"listen\""), std::string::npos);
  EXPECT_NE(error(R"({"log_level":"loud"})").find("\"log_level\""), std::string::npos);
  EXPECT_EQ(error("[1]"), "the file must hold one JSON object");
  const auto taps =
      parse_weftd_config(R"({"tap":{"8056c2e21c000001":"weftlab","8056c2e21c000002":""}})");
  ASSERT_TRUE(std::holds_alternative<WeftdConfig>(taps));
  const auto& tap = std::get<WeftdConfig>(taps).tap;
  ASSERT_EQ(tap.size(), 2U);
  EXPECT_EQ(tap.at(*NetworkId::parse("8056c2e21c000001")), "weftlab");
  EXPECT_EQ(tap.at(*NetworkId::parse("8056c2e21c000002")), "weft%d");
  EXPECT_EQ(error(R"({"tap":["weft0"]})"),
            "\"tap\" must be an object {\"NETWORK\": \"DEVICE\", ...}");
  EXPECT_EQ(error(R"({"tap":{"xyz":"weft0"}})"),
            "\"tap\": \"xyz\" is not a network id (16 hex digits)");
  EXPECT_NE(error(R"({"tap":{"8056c2e21c000001":"a/b"}})").find("\"tap\"[\"8056c2e21c000001\"]"),
            std::string::npos);
  EXPECT_NE(error(R"({"tap":{"8056c2e21c000001":7}})").find("must be a device name"),
            std::string::npos);
  EXPECT_EQ(error("{"), "not valid JSON");
}

}  // namespace
}  // namespace weft::service

namespace weft::service {
namespace {

TEST(ControlRequest, ParsesJoinInKernelTapMode) {
  EXPECT_FALSE(ok(R"({"cmd":"join","network":"8056c2e21c000001"})").tap);
  const auto named = ok(R"({"cmd":"join","network":"8056c2e21c000001","tap":"weftlab"})");
  ASSERT_TRUE(named.tap);
  EXPECT_EQ(*named.tap, "weftlab");
  const auto any = ok(R"({"cmd":"join","network":"8056c2e21c000001","tap":""})");
  ASSERT_TRUE(any.tap);
  EXPECT_EQ(*any.tap, "weft%d");
  for (const char* line : {R"({"cmd":"join","network":"8056c2e21c000001","tap":"a/b"})",
                           R"({"cmd":"join","network":"8056c2e21c000001","tap":"sixteen-chars-xx"})",
                           R"({"cmd":"join","network":"8056c2e21c000001","tap":"x%s"})",
                           R"({"cmd":"join","network":"8056c2e21c000001","tap":7})"})
    EXPECT_EQ(bad(line).code, Error::invalid_argument) << line;
  // Only join takes it.
  EXPECT_EQ(bad(R"({"cmd":"leave","network":"8056c2e21c000001","tap":"x"})").code,
            Error::invalid_argument);
}

TEST(ControlRequest, ParsesCapture) {
  const auto c = ok(R"({"cmd":"capture","network":"8056c2e21c000001","path":"/tmp/a.pcap","count":5})");
  EXPECT_EQ(c.command, Command::capture);
  ASSERT_TRUE(c.network);
  EXPECT_EQ(c.path, "/tmp/a.pcap");
  EXPECT_EQ(c.count, 5U);
  EXPECT_EQ(ok(R"({"cmd":"capture","network":"8056c2e21c000001","path":"/a"})").count, 0U);
  EXPECT_EQ(ok(R"({"cmd":"capture_stop"})").command, Command::capture_stop);
}

TEST(ControlRequest, RefusesABadCapture) {
  EXPECT_EQ(bad(R"({"cmd":"capture","network":"8056c2e21c000001"})").code, Error::invalid_argument);
  EXPECT_EQ(bad(R"({"cmd":"capture","network":"8056c2e21c000001","path":"rel.pcap"})").code,
            Error::invalid_argument);
  EXPECT_EQ(bad(R"({"cmd":"capture","network":"8056c2e21c000001","path":"/a","count":-1})").code,
            Error::invalid_argument);
  EXPECT_EQ(bad(R"({"cmd":"capture","network":"8056c2e21c000001","path":"/a","count":"5"})").code,
            Error::invalid_argument);
  EXPECT_EQ(bad(R"({"cmd":"capture","path":"/a"})").code, Error::invalid_argument);
  EXPECT_EQ(bad(R"({"cmd":"join","network":"8056c2e21c000001","path":"/a"})").code,
            Error::invalid_argument);
  EXPECT_EQ(bad(R"({"cmd":"capture_stop","network":"8056c2e21c000001"})").code,
            Error::invalid_argument);
  const std::string long_path(kMaxCapturePath + 1, 'a');
  EXPECT_EQ(bad(R"({"cmd":"capture","network":"8056c2e21c000001","path":"/)" + long_path + "\"}").code,
            Error::invalid_argument);
}

}  // namespace
}  // namespace weft::service
