// weftd's control requests and its configuration file: any bytes parse to a
// request or a refusal with a message (a config or a message); never a crash,
// an exception, or work beyond the input's size.
#include <cstdint>
#include <string_view>
#include <variant>

#include "base/assert.hpp"
#include "service/control_request.hpp"
#include "service/weftd_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weft;  // NOLINT(google-build-using-namespace)
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto request = service::parse_control_request(text);
  if (const auto* e = std::get_if<service::ControlError>(&request)) WEFT_CHECK(!e->message.empty());
  if (const auto* r = std::get_if<service::ControlRequest>(&request)) {
    const bool takes_network = r->command == service::ControlRequest::Command::join ||
                               r->command == service::ControlRequest::Command::leave;
    WEFT_CHECK(takes_network == r->network.has_value());
  }
  const auto config = service::parse_weftd_config(text);
  if (const auto* e = std::get_if<std::string>(&config)) WEFT_CHECK(!e->empty());
  return 0;
}
