// zstd in memory: the decoder of repodata.json.zst and CEP 16 shards, with the limits that
// keep a small hostile input from expanding without bound, and the encoder `graft index`
// writes them with.
//
// Thread-safe (each call has its own zstd context).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace graft::base {

struct ZstdLimits {
  std::uint64_t max_bytes = 0;        // most decoded bytes, 0 = no limit
  std::uint64_t max_expansion = 0;    // most decoded bytes per input byte, 0 = no limit
  std::uint64_t expansion_floor = 0;  // decoded bytes below which max_expansion is not checked
};

// The decoded bytes of one or more concatenated zstd frames. Errors (kCorrupt), naming
// `source`: "'<source>' is not valid zstd data: <reason>", "'<source>' is cut short",
// "'<source>' is larger than the limit of N bytes once decompressed", "'<source>' expands
// to more than N times its size: refused as a decompression bomb".
[[nodiscard]] Result<std::string> zstd_decompress(std::string_view compressed,
                                                  std::string_view source,
                                                  const ZstdLimits& limits = {});

// `bytes` as one zstd frame at `level` (1-19). Errors: kInternal (zstd failed).
[[nodiscard]] Result<std::string> zstd_compress(std::string_view bytes, int level = 3);

}  // namespace graft::base
