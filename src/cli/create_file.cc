// TEMPORARY placeholder while a helper writes the real --file (session 2); must not be committed.
#include "cli/install.h"
#include "cli/verb.h"

namespace graft::cli {

int run_from_file(const InstallFlags&) {
  return report_error(Error(ErrorCode::kInternal, "'--file' is being written"));
}

}  // namespace graft::cli
