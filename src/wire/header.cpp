#include "wire/header.hpp"

#include "wire/field.hpp"

namespace weft::wire {

Result<Header> Header::parse(ByteSpan bytes) noexcept {
  if (bytes.size() < kSize) return Error::truncated;
  if (std::to_integer<std::uint8_t>(bytes[0]) != kVersion) return Error::unsupported_version;
  const auto type = std::to_integer<std::uint8_t>(bytes[1]);
  if (type < static_cast<std::uint8_t>(MessageType::initiation) ||
      type > static_cast<std::uint8_t>(MessageType::relay))
    return Error::malformed;
  if (load_be16(field<2, 2>(bytes)) != 0) return Error::malformed;
  return Header{static_cast<MessageType>(type)};
}

void Header::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = std::byte{kVersion};
  out[1] = static_cast<std::byte>(type);
  store_be16(field<2, 2>(out), 0);
}

Result<void> expect_header(ByteSpan bytes, MessageType type) noexcept {
  auto h = Header::parse(bytes);
  if (!h) return h.error();
  if (h->type != type) return Error::malformed;
  return {};
}

}  // namespace weft::wire
