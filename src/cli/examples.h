// The example command lines every verb's --help ends with, kept in one table so that they
// read as one story (a baseline, a treatment, a canary) and a test can check that every
// verb has one.
#pragma once

#include <string_view>

namespace graft::cli {

// The examples of verb `name` ("env export"), one command per line, each starting with
// "graft "; "" when the verb has none (a test fails then).
[[nodiscard]] std::string_view verb_example(std::string_view name);

// The seed workflow in ten commands, for `graft --help` and the README.
[[nodiscard]] std::string_view workflow_example();

}  // namespace graft::cli
