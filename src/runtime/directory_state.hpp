#pragma once

#include <string>

#include "runtime/state_store.hpp"

namespace weft::runtime {

// A StateStore in a directory: one file per object, written atomically
// (osdep::write_file_atomic); secrets 0600, the directory 0700, created on
// the first put. A path that exists but is no directory is
// Error::invalid_argument.
class DirectoryState final : public StateStore {
 public:
  explicit DirectoryState(std::string dir) : dir_(std::move(dir)) {}

  Result<std::optional<std::string>> get(std::string_view name, Secrecy secrecy) override;
  Result<void> put(std::string_view name, std::string_view content, Secrecy secrecy) override;

  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

 private:
  [[nodiscard]] std::string path(std::string_view name) const;
  std::string dir_;
};

}  // namespace weft::runtime
