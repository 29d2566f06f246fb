// Stand-in main for libFuzzer targets in ordinary (g++) builds, so every *_fuzz.cc is built
// and exercised by ctest. With file arguments it replays them (a crash reproducer or a
// corpus); without, it feeds a deterministic stream of random and token-spliced inputs for
// a bounded number of iterations. Real fuzzing: configure with clang and -DGRAFT_FUZZ=ON.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
  // GRAFT_FUZZ_SECONDS=N: keep feeding new inputs for N seconds (the sanitizer job), from
  // GRAFT_FUZZ_SEED (default: the clock; printed first so a crash can be replayed).
  const char* seconds_text = std::getenv("GRAFT_FUZZ_SECONDS");
  const double seconds = seconds_text == nullptr ? 0 : std::atof(seconds_text);
  const char* seed_text = std::getenv("GRAFT_FUZZ_SEED");
  const std::uint64_t seed =
      seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10)
      : seconds > 0
          ? static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())
          : 20261121;
  if (seconds > 0) std::printf("fuzz: seed %llu\n", static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 random(seed);
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(seconds));
  constexpr long kIterations = 20000;
  long done = 0;
  for (; seconds > 0 ? std::chrono::steady_clock::now() < until : done < kIterations; ++done) {
    std::string input = random_input(random);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  }
  std::printf("fuzz smoke: %ld inputs, no crash\n", done);
  return 0;
}
