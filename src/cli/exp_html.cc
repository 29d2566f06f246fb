#include "cli/exp_html.h"

#include <limits>
#include <vector>

#include "base/fs.h"
#include "cli/exp_common.h"
#include "experiment/html_report.h"
#include "registry/traffic.h"

namespace graft::cli {

Status write_html_report(const std::filesystem::path& root,
                         const registry::ExperimentRecord& record,
                         const nlohmann::ordered_json& report, const std::string& file) {
  GRAFT_ASSIGN_OR_RETURN(registry::Registry registry, open_registry(root));
  registry::TrafficLog traffic(registry);
  const registry::TimeRange everything{
      .from = registry::from_micros(0),
      .to = registry::from_micros(std::numeric_limits<std::int64_t>::max())};
  GRAFT_ASSIGN_OR_RETURN(std::vector<registry::Assignment> assignments,
                         traffic.assignments(record.experiment.id, everything));
  return base::write_output_file(file, experiment::render_html_report(record, assignments, report));
}

}  // namespace graft::cli
