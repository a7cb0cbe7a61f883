#pragma once

#include <fmt/format.h>

#include <optional>
#include <string_view>
#include <utility>

// Levelled logging to stderr (or a sink a test or an embedding app installs).
// State is constant-initialised, so logging from static constructors is safe.
// Never log secrets or packet payloads.

namespace weft::log {

enum class Level : int { trace = 0, debug, info, warn, error, off };

using Sink = void (*)(Level level, std::string_view component, std::string_view message);

void set_level(Level level) noexcept;
[[nodiscard]] Level level() noexcept;
[[nodiscard]] inline bool enabled(Level l) noexcept { return l >= level(); }

// Replaces the stderr writer; nullptr restores it. Called from any thread.
void set_sink(Sink sink) noexcept;

// "trace", "debug", "info", "warn", "error", "off".
[[nodiscard]] std::optional<Level> parse_level(std::string_view text) noexcept;
[[nodiscard]] std::string_view level_name(Level l) noexcept;

void write(Level level, std::string_view component, std::string_view message) noexcept;

template <typename... Args>
void emit(Level l, std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (!enabled(l)) return;
  write(l, component, fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
void debug(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::debug, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void info(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::info, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void warn(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::warn, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void error(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::error, c, f, std::forward<Args>(a)...);
}

}  // namespace weft::log
