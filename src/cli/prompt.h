// conda's confirmation prompt, shared by the verbs that change or delete things.
// Not thread-safe (reads stdin, writes stdout).
#pragma once

namespace graft::cli {

// Asks "Proceed ([y]/n)? " on stdout and reads one line from stdin: true for "", "y" or
// "yes" (any case). Returns true without asking when `assume_yes` (-y, --json) or when
// stdin is not a terminal (scripts and pipes proceed, as in the install verbs).
[[nodiscard]] bool confirm_proceed(bool assume_yes);

}  // namespace graft::cli
