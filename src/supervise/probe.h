// Readiness and liveness of a replica listening on loopback, and the free ports replicas
// are given.
//
// Thread-safety: every function may be called from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace graft::supervise {

// Whether the replica on 127.0.0.1:`port` answers: with a `health_path` ("/health"), a GET
// of it returns 200 within `timeout`; without one, a TCP connection is accepted.
[[nodiscard]] bool probe(std::uint16_t port, const std::string& health_path,
                         std::chrono::milliseconds timeout);

// A port on 127.0.0.1 that was free when asked (the kernel's pick for port 0). Another
// process may take it before the replica binds it; the replica then exits and is started
// again. Errors: kIo when no socket can be bound.
[[nodiscard]] Result<std::uint16_t> pick_free_port();

}  // namespace graft::supervise
