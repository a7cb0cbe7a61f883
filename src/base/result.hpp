#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.hpp"
#include "base/error.hpp"

namespace weft {

// A value or an Error. No exceptions: value() on an error is a programming bug
// and aborts (WEFT_CHECK); callers test ok() first or use value_or().
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  Result(T value)
      : v_(std::in_place_index<0>, std::move(value)) {}       // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, error) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & {
    WEFT_CHECK(ok());
    return *std::get_if<0>(&v_);
  }
  [[nodiscard]] const T& value() const& {
    WEFT_CHECK(ok());
    return *std::get_if<0>(&v_);
  }
  [[nodiscard]] T&& value() && {
    WEFT_CHECK(ok());
    return std::move(*std::get_if<0>(&v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] Error error() const {
    WEFT_CHECK(!ok());
    return *std::get_if<1>(&v_);
  }

  template <typename U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return ok() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(error), ok_(false) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  [[nodiscard]] Error error() const {
    WEFT_CHECK(!ok_);
    return error_;
  }

 private:
  Error error_{Error::internal};
  bool ok_{true};
};

// Propagates an error out of the enclosing function returning a Result.
#define WEFT_TRY(expr)                                                       \
  do {                                                                       \
    if (auto weft_try_r_ = (expr); !weft_try_r_) return weft_try_r_.error(); \
  } while (false)

}  // namespace weft
