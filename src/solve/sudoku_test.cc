// SAT-hard inputs: sudoku encoded as packages. A correct encoding must yield the puzzle's
// unique solution; mamba's flawed encoding (conformance/mamba/repodata/sudoku.json) makes
// the classic givens unsatisfiable, and the error must say so in readable form.
#include <algorithm>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "solve/explain.h"
#include "solve/solver.h"
#include "solve/sudoku.h"
#include "solve/testing.h"

namespace graft::solve {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Arto Inkala's "world's hardest sudoku" (2012) and its unique solution.
constexpr std::string_view kHardPuzzle =
    "800000000003600000070090200050007000000045700000100030001000068008500010090000400";
constexpr std::string_view kHardSolution =
    "812753649943682175675491283154237896369845721287169534521974368438526917796318452";
// The classic puzzle of Wikipedia's "Sudoku" article (cell 0,0 is 5).
constexpr std::string_view kClassicPuzzle =
    "530070000600195000098000060800060003400803001700020006060000280000419005000080079";

TEST(SudokuTest, GeneratedChannelHasTheExpectedShape) {
  std::vector<conda::PackageRecord> channel = sudoku_channel("cell");
  ASSERT_EQ(channel.size(), 729u);
  const auto& first = channel.front();
  EXPECT_EQ(conda::dist_name(first), "cell_0_0-1-0");
  EXPECT_EQ(first.depends.size(), 20u);
  EXPECT_NE(std::find(first.depends.begin(), first.depends.end(), "cell_1_1 !=1"),
            first.depends.end());
  EXPECT_EQ(std::find(first.depends.begin(), first.depends.end(), "cell_0_0 !=1"),
            first.depends.end());
}

TEST(SudokuTest, SolvesAHardPuzzle) {
  Request request = sudoku_request(sudoku_channel("cell"), "cell", kHardPuzzle);
  auto transaction = solve(request);
  ASSERT_TRUE(transaction) << transaction.error().message();
  EXPECT_EQ(transaction->link.size(), 81u);
  EXPECT_EQ(sudoku_grid(transaction->link, "cell"), kHardSolution);
}

TEST(SudokuTest, BareSatProblemHasTheSameSolution) {
  const sat::Problem problem = sudoku_problem("cell", kHardPuzzle);
  ASSERT_EQ(problem.packages.size(), 729u);
  EXPECT_EQ(problem.packages[0].depends.size(), 20u);
  const sat::Outcome outcome = sat::solve_sat(problem);
  ASSERT_TRUE(outcome.solved);
  ASSERT_EQ(outcome.installed.size(), 81u);
  std::string grid(81, '0');
  for (sat::PackageIndex package : outcome.installed) {
    grid[package / 9] = static_cast<char>('0' + problem.packages[package].rank);
  }
  EXPECT_EQ(grid, kHardSolution);
}

TEST(SudokuTest, IndirectContradictionGoesThroughLibsolv) {
  // Row 0 holds 1..8, so cell 0,8 can only be 9, which the given at 1,8 takes: no pair of
  // givens excludes each other directly, libsolv has to find it.
  std::string puzzle(81, '0');
  for (int column = 0; column < 8; ++column) puzzle[column] = static_cast<char>('1' + column);
  puzzle[9 + 8] = '9';
  auto result = solve(sudoku_request(sudoku_channel("cell"), "cell", puzzle));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(result.error().message(), HasSubstr("- you asked for 'cell_1_8 ==9'\n"));
  EXPECT_THAT(result.error().message(), HasSubstr("requires 'cell_0_8 !="));
}

TEST(SudokuTest, FlawedEncodingIsUnsatisfiableAndExplained) {
  GRAFT_SOLVE_REQUIRE_CONFORMANCE();
  auto channel = testing::load_repodata("mamba/repodata/sudoku.json", "sudoku");
  ASSERT_EQ(channel.size(), 729u);
  auto result = solve(sudoku_request(std::move(channel), "sudoku", kClassicPuzzle));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kConflict);
  const std::string& message = result.error().message();
  // The flaw gives a cell box peers from the wrong box, so pairs of givens exclude each
  // other directly: each pair is one conflict, worded as a two-step chain.
  EXPECT_THAT(message, StartsWith("cannot satisfy the request:\n"
                                  "- conflict 1 of 8:\n"
                                  "  - you asked for 'sudoku_1_4 ==9'\n"
                                  "    - sudoku_1_4-9-0 requires 'sudoku_2_1 !=9', which rules out "
                                  "sudoku_2_1-9-0: only one 'sudoku_2_1' can be installed\n"
                                  "  - you asked for 'sudoku_2_1 ==9'\n"));
  EXPECT_THAT(message, HasSubstr("- conflict 2 of 8:\n"
                                 "  - you asked for 'sudoku_0_0 ==5'\n"
                                 "  - you asked for 'sudoku_1_5 ==5'\n"
                                 "    - sudoku_1_5-5-0 requires 'sudoku_0_0 !=5', which rules "
                                 "out sudoku_0_0-5-0: only one 'sudoku_0_0' can be installed\n"));
  auto lines = std::count(message.begin(), message.end(), '\n');
  EXPECT_LE(lines, static_cast<long>(detail::kMaxExplanationLines) + 2) << message;
}

}  // namespace
}  // namespace graft::solve
