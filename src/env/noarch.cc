#include "env/noarch.h"

#include "base/strings.h"
#include "env/prefix_replace.h"

namespace graft::env {

Result<PythonTarget> python_target(const conda::PackageRecord& python) {
  const std::vector<std::string_view> parts = base::split(python.version, '.');
  if (parts.size() < 2 || parts[0].empty() || parts[1].empty()) {
    return fail(ErrorCode::kInvalidArgument, "'" + python.name + "' version '" +
                                                 python.version + "' has no minor version");
  }
  PythonTarget target;
  target.version = std::string(parts[0]) + "." + std::string(parts[1]);
  target.site_packages = python.python_site_packages_path.empty()
                             ? "lib/python" + target.version + "/site-packages"
                             : python.python_site_packages_path;
  return target;
}

std::string python_short_path(const PythonTarget& python) {
  return "bin/python" + python.version;
}

std::string noarch_python_path(std::string_view source_path, const PythonTarget& python) {
  constexpr std::string_view kSitePackages = "site-packages/";
  constexpr std::string_view kScripts = "python-scripts/";
  if (base::starts_with(source_path, kSitePackages)) {
    return python.site_packages + "/" + std::string(source_path.substr(kSitePackages.size()));
  }
  if (base::starts_with(source_path, kScripts)) {
    return "bin/" + std::string(source_path.substr(kScripts.size()));
  }
  return std::string(source_path);
}

std::optional<std::string> pyc_path(std::string_view py_path, std::string_view python_version) {
  if (!base::ends_with(py_path, ".py")) return std::nullopt;
  if (base::starts_with(python_version, "2")) return std::string(py_path) + "c";
  const std::size_t slash = py_path.rfind('/');
  const std::string_view directory =
      slash == std::string_view::npos ? std::string_view() : py_path.substr(0, slash + 1);
  const std::string_view file = py_path.substr(slash == std::string_view::npos ? 0 : slash + 1);
  const std::string_view stem = file.substr(0, file.size() - 3);
  return std::string(directory) + "__pycache__/" + std::string(stem) + ".cpython-" +
         base::replace_all(python_version, ".", "") + ".pyc";
}

Result<EntryPoint> parse_entry_point(std::string_view definition) {
  auto invalid = [&] {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(definition) +
                    "' is not a valid entry point: expected 'command = module:function'");
  };
  const std::size_t equals = definition.find('=');
  if (equals == std::string_view::npos) return invalid();
  const std::string_view target = base::trim(definition.substr(equals + 1));
  const std::size_t colon = target.find(':');
  if (colon == std::string_view::npos) return invalid();
  EntryPoint entry_point{
      .command = std::string(base::trim(definition.substr(0, equals))),
      .module = std::string(base::trim(target.substr(0, colon))),
      .function = std::string(base::trim(target.substr(colon + 1))),
  };
  if (entry_point.command.empty() || entry_point.module.empty() ||
      entry_point.function.empty()) {
    return invalid();
  }
  return entry_point;
}

std::string entry_point_shebang(std::string_view python) {
  std::string shebang = "#!" + std::string(python) + "\n";
  if (shebang.size() > kMaxShebangLength || shebang.find(' ') != std::string::npos) {
    return "#!/bin/sh\n'''exec' \"" + std::string(python) + "\" \"$0\" \"$@\"\n' '''\n";
  }
  return shebang;
}

std::string entry_point_script(const EntryPoint& entry_point, std::string_view python) {
  const std::string import_name = entry_point.function.substr(0, entry_point.function.find('.'));
  return entry_point_shebang(python) +
         "# -*- coding: utf-8 -*-\n"
         "import re\n"
         "import sys\n"
         "\n"
         "from " + entry_point.module + " import " + import_name + "\n"
         "\n"
         "if __name__ == '__main__':\n"
         "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
         "    sys.exit(" + entry_point.function + "())\n";
}

}  // namespace graft::env
