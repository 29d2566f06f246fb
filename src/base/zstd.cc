#include "base/zstd.h"

#include <memory>

#include <zstd.h>

namespace graft::base {
namespace {

struct FreeContext {
  void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
};

Error corrupt(std::string_view source, const std::string& what) {
  return Error(ErrorCode::kCorrupt, "'" + std::string(source) + "' " + what);
}

}  // namespace

Result<std::string> zstd_decompress(std::string_view compressed, std::string_view source,
                                    const ZstdLimits& limits) {
  std::unique_ptr<ZSTD_DCtx, FreeContext> context(ZSTD_createDCtx());
  if (!context) return fail(ErrorCode::kInternal, "cannot create a zstd context");
  std::string out;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  std::size_t last = 1;
  for (bool pending = true; input.pos < input.size || pending;) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    const std::size_t consumed = input.pos;
    const std::size_t result = ZSTD_decompressStream(context.get(), &output, &input);
    if (ZSTD_isError(result)) {
      return fail(
          corrupt(source, std::string("is not valid zstd data: ") + ZSTD_getErrorName(result)));
    }
    // 0 = a frame ended and is flushed; a call that moved nothing says nothing new.
    if (output.pos > 0 || input.pos > consumed) last = result;
    out.append(chunk.data(), output.pos);
    if (limits.max_bytes != 0 && out.size() > limits.max_bytes) {
      return fail(corrupt(source, "is larger than the limit of " +
                                      std::to_string(limits.max_bytes) +
                                      " bytes once decompressed"));
    }
    if (limits.max_expansion != 0 && out.size() > limits.expansion_floor &&
        out.size() / limits.max_expansion > input.pos) {
      return fail(corrupt(source, "expands to more than " + std::to_string(limits.max_expansion) +
                                      " times its size: refused as a decompression bomb"));
    }
    pending = output.pos == output.size;  // a full buffer: more output may be waiting
  }
  if (last != 0) return fail(corrupt(source, "is cut short"));
  return out;
}

Result<std::string> zstd_compress(std::string_view bytes, int level) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const std::size_t size = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), level);
  if (ZSTD_isError(size)) {
    return fail(ErrorCode::kInternal, std::string("zstd failed: ") + ZSTD_getErrorName(size));
  }
  out.resize(size);
  return out;
}

}  // namespace graft::base
