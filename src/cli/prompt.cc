#include "cli/prompt.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "base/strings.h"

namespace graft::cli {

bool confirm_proceed(bool assume_yes) {
  if (assume_yes || !::isatty(STDIN_FILENO)) return true;
  std::fputs("Proceed ([y]/n)? ", stdout);
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  answer = base::to_lower(base::trim(answer));
  return answer.empty() || answer == "y" || answer == "yes";
}

}  // namespace graft::cli
