// The live dashboard's files, compiled into the binary: every file of
// src/experiment/dashboard/ and, when `npm ci` (scripts/setup) installed it, uPlot's script,
// styles and licence (uplot.js, uplot.css, uplot-license.txt). The definition is generated
// at build time by cmake/embed_files.cmake (src/experiment/CMakeLists.txt).
// Thread-safe: constant data.
#pragma once

#include <span>
#include <string_view>

namespace graft::experiment {

struct EmbeddedFile {
  std::string_view name;   // "index.html", "dashboard.js", "uplot.js", ...
  std::string_view bytes;  // the file's exact bytes
};

// In the order the build lists them; uPlot's are absent when it was not installed.
[[nodiscard]] std::span<const EmbeddedFile> dashboard_files();

}  // namespace graft::experiment
