// TEMPORARY placeholder while a helper writes the real create --clone (session 2); must not be committed.
#include "cli/install.h"
#include "cli/verb.h"

namespace graft::cli {

int run_clone(const InstallFlags&) {
  return report_error(Error(ErrorCode::kInternal, "'create --clone' is being written"));
}

}  // namespace graft::cli
