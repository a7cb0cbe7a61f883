#pragma once

namespace weft::crypto {

// Initialises libsodium once (thread-safe); every crypto entry point calls it.
// Aborts if libsodium cannot initialise: no key can be made safely without it.
void ensure_sodium() noexcept;

}  // namespace weft::crypto
