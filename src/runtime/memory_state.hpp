#pragma once

#include <map>
#include <mutex>
#include <string>

#include "runtime/state_store.hpp"

namespace weft::runtime {

// A StateStore that keeps its objects for the life of the process only: a
// node that is stopped and started again keeps its identity and networks,
// but nothing reaches the disk.
class MemoryState final : public StateStore {
 public:
  Result<std::optional<std::string>> get(std::string_view name, Secrecy /*secrecy*/) override {
    std::lock_guard lock(mutex_);
    const auto it = objects_.find(name);
    if (it == objects_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<void> put(std::string_view name, std::string_view content, Secrecy /*secrecy*/) override {
    std::lock_guard lock(mutex_);
    objects_.insert_or_assign(std::string(name), std::string(content));
    return {};
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> objects_;
};

}  // namespace weft::runtime
