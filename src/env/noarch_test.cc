#include "env/noarch.h"

#include <gtest/gtest.h>

namespace graft::env {
namespace {

conda::PackageRecord python(std::string version, std::string site_packages = "") {
  conda::PackageRecord record;
  record.name = "python";
  record.version = std::move(version);
  record.python_site_packages_path = std::move(site_packages);
  return record;
}

TEST(PythonTarget, UsesMajorMinorOrTheRecordsSitePackages) {
  auto plain = python_target(python("3.12.4"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->version, "3.12");
  EXPECT_EQ(plain->site_packages, "lib/python3.12/site-packages");
  // conda's test-recipes python-3.99.99 sets python_site_packages_path (CEP 17).
  auto free_threaded = python_target(python("3.99.99", "lib/python3.99t/site-packages"));
  ASSERT_TRUE(free_threaded);
  EXPECT_EQ(free_threaded->site_packages, "lib/python3.99t/site-packages");
  auto bad = python_target(python("3"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "'python' version '3' has no minor version");
}

TEST(NoarchPythonPath, MapsSitePackagesAndScripts) {
  const PythonTarget target{.version = "3.11", .site_packages = "lib/python3.11/site-packages"};
  EXPECT_EQ(noarch_python_path("site-packages/pkg/__init__.py", target),
            "lib/python3.11/site-packages/pkg/__init__.py");
  EXPECT_EQ(noarch_python_path("python-scripts/tool", target), "bin/tool");
  EXPECT_EQ(noarch_python_path("share/doc/x", target), "share/doc/x");
  EXPECT_EQ(noarch_python_path("site-packagesX/y", target), "site-packagesX/y");
}

TEST(PycPath, FollowsPep3147) {
  EXPECT_EQ(pyc_path("lib/python3.99t/site-packages/sample.py", "3.99"),
            "lib/python3.99t/site-packages/__pycache__/sample.cpython-399.pyc");
  EXPECT_EQ(pyc_path("a.py", "3.8"), "__pycache__/a.cpython-38.pyc");
  EXPECT_EQ(pyc_path("lib/python2.7/site-packages/a.py", "2.7"),
            "lib/python2.7/site-packages/a.pyc");
  EXPECT_EQ(pyc_path("a.pyx", "3.8"), std::nullopt);
}

TEST(EntryPoint, ParsesAndRejects) {
  auto parsed = parse_entry_point("jupyter-lab = jupyterlab.labapp:main");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->command, "jupyter-lab");
  EXPECT_EQ(parsed->module, "jupyterlab.labapp");
  EXPECT_EQ(parsed->function, "main");
  for (const char* bad : {"nocolon = mod", "= mod:f", "cmd mod:f", "cmd = :f"}) {
    auto result = parse_entry_point(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().message(), std::string("'") + bad +
                                            "' is not a valid entry point: expected "
                                            "'command = module:function'");
  }
}

TEST(EntryPoint, ScriptTextIsCondas) {
  const EntryPoint entry{.command = "tool", .module = "pkg.cli", .function = "App.run"};
  EXPECT_EQ(entry_point_script(entry, "/env/bin/python"),
            "#!/env/bin/python\n"
            "# -*- coding: utf-8 -*-\n"
            "import re\n"
            "import sys\n"
            "\n"
            "from pkg.cli import App\n"
            "\n"
            "if __name__ == '__main__':\n"
            "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
            "    sys.exit(App.run())\n");
}

TEST(EntryPoint, LongOrSpacedPythonUsesShTrampoline) {
  const std::string spaced = "/my env/bin/python";
  EXPECT_EQ(entry_point_shebang(spaced),
            "#!/bin/sh\n'''exec' \"/my env/bin/python\" \"$0\" \"$@\"\n' '''\n");
  const std::string long_path = "/" + std::string(130, 'a') + "/bin/python";
  EXPECT_EQ(entry_point_shebang(long_path).substr(0, 10), "#!/bin/sh\n");
  EXPECT_EQ(entry_point_shebang("/e/bin/python"), "#!/e/bin/python\n");
}

}  // namespace
}  // namespace graft::env
