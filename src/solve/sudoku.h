// Sudoku as packages: a SAT-hard fixture for the solver's tests and benchmark.
//
// Cell (r, c) holding value v is package `<prefix>_r_c` version v, which depends on each
// of its 20 peers (same row, column or box) being `!= v`. Installing the givens pulls in
// every cell (the peer graph is connected), so a solution is a filled grid.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conda/record.h"
#include "solve/sat.h"
#include "solve/solver.h"

namespace graft::solve {

// The 729 records of a correct encoding, cells in row-major order, values 1..9.
[[nodiscard]] std::vector<conda::PackageRecord> sudoku_channel(const std::string& prefix);

// A request installing the givens of `puzzle` (81 digits, row-major, '0' or '.' = blank) as
// `<prefix>_r_c ==v` from `records` (one channel named "sudoku").
[[nodiscard]] Request sudoku_request(std::vector<conda::PackageRecord> records,
                                     const std::string& prefix, std::string_view puzzle);

// The same puzzle with no conda layer: a bare sat::Problem (package cell * 9 + value - 1
// is `<prefix>_r_c` rank v, keys are answered by index arithmetic), i.e. what libsolv
// itself costs through the sat adapter, the floor for solve(sudoku_request(...)).
[[nodiscard]] sat::Problem sudoku_problem(const std::string& prefix, std::string_view puzzle);

// The grid (81 digits, '0' where no cell record is linked) the linked records spell.
[[nodiscard]] std::string sudoku_grid(const std::vector<conda::PackageRecord>& linked,
                                      const std::string& prefix);

}  // namespace graft::solve
