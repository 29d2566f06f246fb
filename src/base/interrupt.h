// Deferring SIGINT and SIGTERM while graft changes something that must be rolled back
// first: while an InterruptGuard lives, either signal only sets a flag; the work checks
// interrupted() between steps, undoes what it did and returns, and the command then exits
// with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
//
// Thread-safety: interrupted() and interrupt_signal() may be read from any thread. Guards
// nest (the outermost restores the previous handlers); make them on one thread.
#pragma once

#include "base/result.h"

namespace graft::base {

class InterruptGuard {
 public:
  InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  ~InterruptGuard();
};

// Whether SIGINT or SIGTERM arrived while a guard was alive (stays set).
[[nodiscard]] bool interrupted();
// The signal that arrived (SIGINT, SIGTERM), or 0.
[[nodiscard]] int interrupt_signal();

// ok(), or kUnavailable "interrupted by SIGINT" (SIGTERM) once a signal arrived: a check
// between the steps of work that can stop there.
[[nodiscard]] Status check_interrupt();

// For tests: behaves as if `signal_number` had arrived (0 clears it).
void set_interrupt_for_testing(int signal_number);

}  // namespace graft::base
