// What is written about /metrics agrees with the page: web/README.md lists
// every family the golden page has and no other, and the Grafana dashboard
// in deploy/ queries no family the page lacks (a renamed metric breaks this
// test, not an operator's dashboard).
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "common/atomic_file.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::web {
namespace {

const std::filesystem::path source_dir = test_support::in_build_tree(LBHA_SOURCE_DIR);

std::string read_source(const std::filesystem::path& relative) {
  auto text = read_file(source_dir / relative);
  EXPECT_TRUE(text.has_value()) << relative;
  return text ? text.value() : "";
}

// Every family on the golden page (tests/web/golden/metrics.txt, which the
// metrics tests keep equal to what the seed deployment renders).
std::set<std::string> golden_families() {
  const auto page = read_source("tests/web/golden/metrics.txt");
  const std::regex type_line("# TYPE ([a-z_]+) ");
  std::set<std::string> families;
  for (std::sregex_iterator it(page.begin(), page.end(), type_line), end; it != end; ++it) {
    families.insert((*it)[1].str());
  }
  return families;
}

TEST(metrics_docs, the_readme_lists_every_family) {
  const auto readme = read_source("web/README.md");
  const auto families = golden_families();
  ASSERT_GT(families.size(), 40u);
  for (const auto& family : families) {
    EXPECT_NE(readme.find("| `" + family + "` |"), std::string::npos)
        << family << " is missing from web/README.md's table";
  }
}

TEST(metrics_docs, the_readme_lists_no_family_the_page_lacks) {
  const auto readme = read_source("web/README.md");
  const auto families = golden_families();
  const std::regex row("\\| `(lbha_[a-z_]+)` \\|");
  for (std::sregex_iterator it(readme.begin(), readme.end(), row), end; it != end; ++it) {
    EXPECT_TRUE(families.contains((*it)[1].str())) << (*it)[1].str();
  }
}

TEST(metrics_docs, the_grafana_dashboard_queries_only_families_the_page_has) {
  const auto dashboard = read_source("deploy/grafana/lbha.json");
  const auto families = golden_families();
  const std::regex name("lbha_[a-z_]+");
  std::set<std::string> used;
  for (std::sregex_iterator it(dashboard.begin(), dashboard.end(), name), end; it != end; ++it) {
    used.insert(it->str());
  }
  EXPECT_GT(used.size(), 15u);
  for (const auto& family : used) {
    EXPECT_TRUE(families.contains(family))
        << "the dashboard queries " << family << ", which /metrics does not have";
  }
}

}  // namespace
}  // namespace lbha::web
