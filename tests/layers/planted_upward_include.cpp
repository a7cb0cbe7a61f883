// Compiled with base's include path this must fail: base may not use crypto.
// Compiled with crypto's include path it must succeed.
#include "crypto/public_identity.hpp"

int main() { return 0; }
