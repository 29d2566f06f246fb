// Stand-in main for libFuzzer targets in ordinary (g++) builds, so every *_fuzz.cc is built
// and exercised by ctest. With file arguments it replays them (a crash reproducer or a
// corpus); without, it feeds a deterministic stream of random and token-spliced inputs for
// a bounded number of iterations. Real fuzzing: configure with clang and -DGRAFT_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// Fragments common to the formats graft parses (versions, specs, JSON, YAML, HTTP).
const char* const kTokens[] = {
    "1.2.3", "!", "+", "*", ".", "-", "_", "rc", "post", "dev", ">=", "<", "==", "!=", "~=", ",",
    "|", "(", ")", "[", "]", "=", "'", "\"", "::", "/", "{", "}", ":", "null", "true", "0",
    "-1", "\n", "\r\n", " ", "\t", "GET / HTTP/1.1\r\n", "Content-Length: ", "Transfer-Encoding: chunked",
    "\r\n\r\n", "packages", "version", "build", "depends", "name", "0x", "%", "\\", "\xff", "\0"};

std::string random_input(std::mt19937_64& random) {
  std::string input;
  int pieces = static_cast<int>(random() % 12);
  for (int i = 0; i < pieces; ++i) {
    if (random() % 3 == 0) {
      input.push_back(static_cast<char>(random() % 256));
    } else {
      input += kTokens[random() % std::size(kTokens)];
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream file(argv[i], std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  }
  if (argc > 1) return 0;
  std::mt19937_64 random(20261121);
  constexpr int kIterations = 20000;
  for (int i = 0; i < kIterations; ++i) {
    std::string input = random_input(random);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  }
  std::printf("fuzz smoke: %d inputs, no crash\n", kIterations);
  return 0;
}
