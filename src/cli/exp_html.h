// `graft exp report NAME --html FILE`: gathers what the page shows (the record, every
// assignment of the run, the report JSON) and writes experiment/html_report.h's page.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "registry/records.h"

namespace graft::cli {

// Writes the page to `file` (base::write_output_file: atomic for a regular file).
// Errors: the registry's (reading the assignments) and the write's.
[[nodiscard]] Status write_html_report(const std::filesystem::path& root,
                                       const registry::ExperimentRecord& record,
                                       const nlohmann::ordered_json& report,
                                       const std::string& file);

}  // namespace graft::cli
