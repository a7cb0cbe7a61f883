// Drives a fuzz target without libFuzzer: every file of the corpus directories
// given on the command line, each of its truncations, and bit flips at a stride,
// so that builds without clang still run each parser over hostile input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::vector<std::uint8_t>& input) {
  // Copy into an exactly-sized heap buffer so ASan sees any overread.
  std::vector<std::uint8_t> exact(input);
  exact.shrink_to_fit();
  LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
}

std::size_t exercise(const std::vector<std::uint8_t>& seed) {
  std::size_t runs = 0;
  for (std::size_t len = 0; len <= seed.size(); ++len, ++runs)
    run(std::vector<std::uint8_t>(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(len)));
  const std::size_t stride = seed.size() / 64 + 1;
  for (std::size_t i = 0; i < seed.size(); i += stride) {
    for (unsigned bit = 0; bit < 8; ++bit, ++runs) {
      auto flipped = seed;
      flipped[i] = static_cast<std::uint8_t>(flipped[i] ^ (1U << bit));
      run(flipped);
    }
  }
  return runs;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t files = 0;
  std::size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path dir(argv[i]);
    if (!std::filesystem::is_directory(dir)) {
      std::fprintf(stderr, "standalone fuzz driver: %s is not a directory\n", argv[i]);
      return 1;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::vector<std::uint8_t> seed((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
      runs += exercise(seed);
      ++files;
    }
  }
  if (files == 0) {
    std::fprintf(stderr, "standalone fuzz driver: no corpus files\n");
    return 1;
  }
  std::printf("standalone fuzz driver: %zu corpus files, %zu inputs, no crash\n", files, runs);
  return 0;
}
