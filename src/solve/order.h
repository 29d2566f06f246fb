// dependency_order() with the dependency names supplied by the caller (internal to module
// solve): solve() already holds every dependency parsed, so it need not parse them again.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "conda/record.h"

namespace graft::solve::detail {

// The name of the package that `text` (= records[record].depends[dependency]) is about, or ""
// when it names no exact package (or does not parse).
using DependencyNamer =
    std::function<std::string(std::size_t record, std::size_t dependency, const std::string& text)>;

// As graft::solve::dependency_order(), naming dependencies with `name_of`.
[[nodiscard]] std::vector<conda::PackageRecord> dependency_order(
    std::vector<conda::PackageRecord> records, const DependencyNamer& name_of);

}  // namespace graft::solve::detail
