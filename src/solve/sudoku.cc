#include "solve/sudoku.h"

#include <utility>

namespace graft::solve {
namespace {

std::string cell_name(const std::string& prefix, int row, int column) {
  return prefix + "_" + std::to_string(row) + "_" + std::to_string(column);
}

bool are_peers(int r1, int c1, int r2, int c2) {
  if (r1 == r2 && c1 == c2) return false;
  return r1 == r2 || c1 == c2 || (r1 / 3 == r2 / 3 && c1 / 3 == c2 / 3);
}

// Keys of sudoku_problem(): cell * 9 + value - 1 is "<cell> !=value", 81 * 9 more "==value".
constexpr sat::KeyIndex kEqualKeys = 81 * 9;

void resolve_key(sat::KeyIndex key, std::vector<sat::PackageIndex>& out) {
  const bool equal = key >= kEqualKeys;
  const sat::KeyIndex local = equal ? key - kEqualKeys : key;
  const sat::PackageIndex first = local / 9 * 9;
  for (sat::PackageIndex package = first; package < first + 9; ++package) {
    if ((package == local) == equal) out.push_back(package);
  }
}

}  // namespace

std::vector<conda::PackageRecord> sudoku_channel(const std::string& prefix) {
  std::vector<conda::PackageRecord> records;
  records.reserve(729);
  for (int cell = 0; cell < 81; ++cell) {
    const int row = cell / 9;
    const int column = cell % 9;
    for (int value = 1; value <= 9; ++value) {
      conda::PackageRecord record;
      record.name = cell_name(prefix, row, column);
      record.version = std::to_string(value);
      record.build = "0";
      record.subdir = "noarch";
      record.fn = record.name + "-" + record.version + "-0.tar.bz2";
      for (int peer = 0; peer < 81; ++peer) {
        if (!are_peers(row, column, peer / 9, peer % 9)) continue;
        record.depends.push_back(cell_name(prefix, peer / 9, peer % 9) +
                                 " !=" + std::to_string(value));
      }
      records.push_back(std::move(record));
    }
  }
  return records;
}

Request sudoku_request(std::vector<conda::PackageRecord> records, const std::string& prefix,
                       std::string_view puzzle) {
  Request request;
  request.channels.push_back({.name = "sudoku", .records = std::move(records)});
  request.options.add_pip_as_python_dependency = false;
  for (std::size_t cell = 0; cell < puzzle.size() && cell < 81; ++cell) {
    const char value = puzzle[cell];
    if (value < '1' || value > '9') continue;
    const int row = static_cast<int>(cell) / 9;
    const int column = static_cast<int>(cell) % 9;
    auto spec = conda::MatchSpec::parse(cell_name(prefix, row, column) + " ==" + value);
    if (spec) request.install.push_back(std::move(*spec));
  }
  return request;
}

sat::Problem sudoku_problem(const std::string& prefix, std::string_view puzzle) {
  sat::Problem problem;
  problem.repos.push_back({.name = "sudoku"});
  for (const char* relation : {" !=", " =="}) {
    for (int cell = 0; cell < 81; ++cell) {
      for (int value = 1; value <= 9; ++value) {
        problem.keys.push_back(cell_name(prefix, cell / 9, cell % 9) + relation +
                               std::to_string(value));
      }
    }
  }
  problem.resolve = resolve_key;
  for (int cell = 0; cell < 81; ++cell) {
    for (int value = 1; value <= 9; ++value) {
      sat::Package package{.name = cell_name(prefix, cell / 9, cell % 9),
                           .rank = static_cast<std::uint32_t>(value)};
      for (int peer = 0; peer < 81; ++peer) {
        if (are_peers(cell / 9, cell % 9, peer / 9, peer % 9)) {
          package.depends.push_back(static_cast<sat::KeyIndex>(peer * 9 + value - 1));
        }
      }
      problem.packages.push_back(std::move(package));
    }
  }
  for (std::size_t cell = 0; cell < puzzle.size() && cell < 81; ++cell) {
    if (puzzle[cell] < '1' || puzzle[cell] > '9') continue;
    const auto key = static_cast<sat::KeyIndex>(kEqualKeys + cell * 9 + (puzzle[cell] - '1'));
    problem.jobs.push_back({sat::JobKind::kInstall, key});
  }
  return problem;
}

std::string sudoku_grid(const std::vector<conda::PackageRecord>& linked,
                        const std::string& prefix) {
  std::string grid(81, '0');
  for (int cell = 0; cell < 81; ++cell) {
    const std::string name = cell_name(prefix, cell / 9, cell % 9);
    for (const auto& record : linked) {
      if (record.name == name && record.version.size() == 1) grid[cell] = record.version[0];
    }
  }
  return grid;
}

}  // namespace graft::solve
