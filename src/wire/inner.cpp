#include "wire/inner.hpp"

namespace weft::wire {

Result<InnerType> inner_type(ByteSpan plaintext) noexcept {
  if (plaintext.empty()) return InnerType::keepalive;
  switch (const auto t = static_cast<InnerType>(plaintext[0])) {
    case InnerType::frame:
    case InnerType::fragment:
    case InnerType::probe:
    case InnerType::probe_reply:
    case InnerType::registration:
    case InnerType::registration_ack:
    case InnerType::lookup:
    case InnerType::lookup_reply:
    case InnerType::rendezvous:
      return t;
    case InnerType::keepalive:
      break;
  }
  return Error::malformed;
}

}  // namespace weft::wire
