#pragma once

// Literal packet bytes in tests: hex with spaces and '|' between fields allowed,
// so each test spells out its expected bytes field by field from docs/protocol.md.

#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/hex.hpp"
#include "wire/field.hpp"

namespace weft::wire::testing {

inline Bytes hex(std::string_view text) {
  std::string digits;
  for (char c : text)
    if (c != ' ' && c != '|' && c != '\n') digits.push_back(c);
  auto r = from_hex(digits);
  WEFT_CHECK(r.ok());
  return std::move(r).value();
}

using wire::emit_bytes;

}  // namespace weft::wire::testing
