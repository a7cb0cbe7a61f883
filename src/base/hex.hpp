#pragma once

#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft {

// Lower-case hexadecimal, two digits per byte.
std::string to_hex(ByteSpan bytes);

// Accepts upper and lower case; Error::malformed on an odd length or a non-hex digit.
Result<Bytes> from_hex(std::string_view text);

// Decodes exactly out.size() bytes; Error::malformed unless text is 2*out.size() digits.
Result<void> from_hex(std::string_view text, MutableByteSpan out);

}  // namespace weft
