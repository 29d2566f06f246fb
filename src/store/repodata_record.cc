#include "store/repodata_record.h"

#include <algorithm>

namespace graft::store {
namespace {

template <typename T>
void fill(T& field, const T& fallback) {
  if (field == T{}) field = fallback;
}

// A record read from a channel's repodata, not the sparse one of an @EXPLICIT line:
// repodata always gives a package's size or timestamp.
bool from_repodata(const conda::PackageRecord& record) {
  return record.size != 0 || record.timestamp != 0;
}

void merge_extras(std::vector<conda::JsonField>& extra,
                  const std::vector<conda::JsonField>& fallback, bool channel_record) {
  for (const conda::JsonField& field : fallback) {
    // conda takes arch and platform from the repodata's info (its records never get them
    // from index.json), so they are left out when the channel's info does not set them.
    if (channel_record && (field.key == "arch" || field.key == "platform")) continue;
    const bool present = std::any_of(extra.begin(), extra.end(), [&](const auto& existing) {
      return existing.key == field.key;
    });
    // conda drops None-valued fields when it writes a record: index.json's "arch": null
    // must not reach repodata_record.json or conda-meta.
    if (!present && field.json != "null") extra.push_back(field);
  }
}

}  // namespace

conda::PackageRecord make_repodata_record(const conda::PackageRecord& record,
                                          const conda::PackageRecord& index,
                                          const ArchiveFacts& facts) {
  conda::PackageRecord merged = record;
  fill(merged.name, index.name);
  fill(merged.version, index.version);
  fill(merged.build, index.build);
  fill(merged.build_number, index.build_number);
  fill(merged.depends, index.depends);
  fill(merged.constrains, index.constrains);
  fill(merged.track_features, index.track_features);
  fill(merged.features, index.features);
  fill(merged.subdir, index.subdir);
  fill(merged.noarch, index.noarch);
  fill(merged.license, index.license);
  fill(merged.timestamp, index.timestamp);
  fill(merged.license_family, index.license_family);
  fill(merged.package_type, index.package_type);
  fill(merged.python_site_packages_path, index.python_site_packages_path);
  merge_extras(merged.extra, index.extra, from_repodata(record));
  merged.fn = facts.fn;
  merged.md5 = facts.md5;
  merged.sha256 = facts.sha256;
  merged.size = facts.size;
  fill(merged.url, facts.url);
  if (merged.channel.empty()) {
    const auto slash = merged.url.rfind('/');
    if (slash != std::string::npos) merged.channel = merged.url.substr(0, slash);
  }
  return merged;
}

}  // namespace graft::store
