#pragma once

// The outer header every VL1 datagram starts with. docs/protocol.md §2.

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::wire {

inline constexpr std::uint8_t kVersion = 1;

enum class MessageType : std::uint8_t {
  initiation = 1,
  response = 2,
  cookie_reply = 3,
  data = 4,
  relay = 5,
};

// offset 0 u8 version, 1 u8 type, 2 u16 reserved (zero).
struct Header {
  static constexpr std::size_t kSize = 4;

  MessageType type{MessageType::data};

  // Error::truncated, Error::unsupported_version, or Error::malformed (unknown
  // type, non-zero reserved bits).
  static Result<Header> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const Header&) const = default;
};

// Parses the header and checks it names `type`.
Result<void> expect_header(ByteSpan bytes, MessageType type) noexcept;

}  // namespace weft::wire
