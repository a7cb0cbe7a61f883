#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace weft::runtime {

// Where a node keeps what must survive a restart: its identity and the
// networks it has joined. A few small named objects ("identity.secret",
// "networks"), each read and replaced whole.
class StateStore {
 public:
  enum class Secrecy : bool { open, secret };

  virtual ~StateStore() = default;

  // nullopt if the object was never stored. A secret object that others could
  // read is Error::insecure_permissions, never returned.
  virtual Result<std::optional<std::string>> get(std::string_view name, Secrecy secrecy) = 0;
  // Replaces the object; readers see the old content or the new, never a mix.
  virtual Result<void> put(std::string_view name, std::string_view content, Secrecy secrecy) = 0;
};

}  // namespace weft::runtime
