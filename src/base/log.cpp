#include "base/log.hpp"

#include <atomic>
#include <cstdio>

namespace weft::log {

namespace {

constinit std::atomic<int> g_level{static_cast<int>(Level::info)};
constinit std::atomic<Sink> g_sink{nullptr};

constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};

void stderr_sink(Level l, std::string_view component, std::string_view message) {
  // One fprintf per line so lines from different threads do not interleave.
  std::fprintf(stderr, "weft %-5.*s [%.*s] %.*s\n", static_cast<int>(level_name(l).size()),
               level_name(l).data(), static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace

void set_level(Level l) noexcept { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() noexcept { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }
void set_sink(Sink sink) noexcept { g_sink.store(sink, std::memory_order_release); }

std::optional<Level> parse_level(std::string_view text) noexcept {
  for (int i = 0; i <= static_cast<int>(Level::off); ++i)
    if (kNames[i] == text) return static_cast<Level>(i);
  return std::nullopt;
}

std::string_view level_name(Level l) noexcept {
  const auto i = static_cast<std::size_t>(l);
  return i < std::size(kNames) ? kNames[i] : "?";
}

void write(Level l, std::string_view component, std::string_view message) noexcept {
  Sink sink = g_sink.load(std::memory_order_acquire);
  (sink != nullptr ? sink : stderr_sink)(l, component, message);
}

}  // namespace weft::log
