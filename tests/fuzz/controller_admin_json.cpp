// The admin API's request bodies (controller/admin_json.hpp): any bytes either
// fail to parse as JSON or convert to settings/updates, or are refused with a
// message; never a crash or an exception. Path-like inputs go through the
// loopback and Host checks too.
#include <cstdint>
#include <string>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "controller/admin_handler.hpp"
#include "controller/admin_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weft;  // NOLINT(google-build-using-namespace)
  const std::string text(as_chars(as_bytes(data, size)));
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_discarded()) {
    auto settings = controller::admin_json::network_settings(body);
    WEFT_CHECK(settings.value.has_value() || !settings.error.empty());
    auto update = controller::admin_json::member_update(body, {{0x0a000000, 0x0a0000ff, 24}});
    WEFT_CHECK(update.value.has_value() || !update.error.empty());
  }
  (void)controller::AdminHandler::is_loopback(text);
  (void)controller::AdminHandler::is_loopback_host(text);
  return 0;
}
