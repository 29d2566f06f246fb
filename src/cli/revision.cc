// TEMPORARY placeholder while a helper writes the real install --revision (session 2); must not be committed.
#include "cli/install.h"
#include "cli/verb.h"

namespace graft::cli {

int run_revision(const InstallFlags&) {
  return report_error(Error(ErrorCode::kInternal, "'install --revision' is being written"));
}

}  // namespace graft::cli
