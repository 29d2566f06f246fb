#include "base/interrupt.h"

#include <signal.h>

#include <atomic>
#include <string>

namespace graft::base {
namespace {

// Lock-free, so the handler may store to it and linker threads read it.
std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free);
std::atomic<int> depth{0};
struct sigaction previous_interrupt {};
struct sigaction previous_terminate {};

extern "C" void note_signal(int signal_number) {
  received.store(signal_number);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  if (depth.fetch_add(1) != 0) return;
  struct sigaction action {};
  action.sa_handler = note_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &previous_interrupt);
  ::sigaction(SIGTERM, &action, &previous_terminate);
}

InterruptGuard::~InterruptGuard() {
  if (depth.fetch_sub(1) != 1) return;
  ::sigaction(SIGINT, &previous_interrupt, nullptr);
  ::sigaction(SIGTERM, &previous_terminate, nullptr);
}

bool interrupted() {
  return received.load() != 0;
}

int interrupt_signal() {
  return received.load();
}

Status check_interrupt() {
  const int signal_number = received.load();
  if (signal_number == 0) return ok();
  return fail(ErrorCode::kUnavailable,
              std::string("interrupted by ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
}

void set_interrupt_for_testing(int signal_number) {
  received.store(signal_number);
}

}  // namespace graft::base
