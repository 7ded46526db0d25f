// The Prometheus text writer: names, escaping, values and the page's layout
// as exposition format 0.0.4 defines them.
#include "web/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace lbha::web {
namespace {

TEST(prometheus_text, metric_names_follow_the_data_model) {
  EXPECT_TRUE(valid_metric_name("lbha_backend_up"));
  EXPECT_TRUE(valid_metric_name("_x"));
  EXPECT_TRUE(valid_metric_name("job:rate5m"));  // colons: recording rules' names
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("5xx_total"));
  EXPECT_FALSE(valid_metric_name("lbha-backend"));
  EXPECT_FALSE(valid_metric_name("lbha backend"));
  EXPECT_FALSE(valid_metric_name("lbha_é"));
}

TEST(prometheus_text, label_names_follow_the_data_model_and_leave_dunder_to_prometheus) {
  EXPECT_TRUE(valid_label_name("proxy"));
  EXPECT_TRUE(valid_label_name("_private"));
  EXPECT_FALSE(valid_label_name(""));
  EXPECT_FALSE(valid_label_name("1st"));
  EXPECT_FALSE(valid_label_name("a:b"));  // colons are for metric names only
  EXPECT_FALSE(valid_label_name("__name__"));
}

TEST(prometheus_text, label_values_escape_backslash_quote_and_newline_only) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value(R"(C:\dir)"), R"(C:\\dir)");
  EXPECT_EQ(escape_label_value(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(escape_label_value("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(escape_label_value("tab\there"), "tab\there");
  EXPECT_EQ(escape_label_value("ünïcode"), "ünïcode");
}

TEST(prometheus_text, help_escapes_backslash_and_newline_but_not_quotes) {
  EXPECT_EQ(escape_help(R"(a "quoted" \ word)"), R"(a "quoted" \\ word)");
  EXPECT_EQ(escape_help("line\nbreak"), R"(line\nbreak)");
}

TEST(prometheus_text, integers_are_exact_even_past_what_a_double_holds) {
  EXPECT_EQ(format_value(std::uint64_t{0}), "0");
  EXPECT_EQ(format_value(std::uint64_t{18446744073709551615u}), "18446744073709551615");
  EXPECT_EQ(format_value(std::uint64_t{9007199254740993u}), "9007199254740993");  // 2^53 + 1
  EXPECT_EQ(format_value(std::int64_t{-1}), "-1");
  EXPECT_EQ(format_value(std::int64_t{std::numeric_limits<std::int64_t>::min()}),
            "-9223372036854775808");
}

TEST(prometheus_text, doubles_print_whole_numbers_plainly_and_the_rest_round_trip) {
  EXPECT_EQ(format_value(3.0), "3");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.5e-7), "1.5e-07");
  EXPECT_EQ(format_value(1e300), "1e+300");
  EXPECT_EQ(format_value(0.1), "0.1");  // shortest text that reads back to the same double
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(prometheus_text, a_page_sorts_families_and_keeps_each_familys_samples_in_order) {
  exposition page;
  ASSERT_TRUE(page.declare("zz_gauge", metric_type::gauge, "Last by name").has_value());
  ASSERT_TRUE(page.declare("aa_total", metric_type::counter, "First by name").has_value());
  ASSERT_TRUE(page.add("zz_gauge", {{"proxy", "b"}}, std::int64_t{2}).has_value());
  ASSERT_TRUE(page.add("aa_total", {}, std::uint64_t{7}).has_value());
  ASSERT_TRUE(page.add("zz_gauge", {{"proxy", "a"}}, 0.5).has_value());
  EXPECT_EQ(page.text(),
            "# HELP aa_total First by name\n"
            "# TYPE aa_total counter\n"
            "aa_total 7\n"
            "# HELP zz_gauge Last by name\n"
            "# TYPE zz_gauge gauge\n"
            "zz_gauge{proxy=\"b\"} 2\n"
            "zz_gauge{proxy=\"a\"} 0.5\n");
}

TEST(prometheus_text, labels_print_in_the_order_given_with_values_escaped) {
  exposition page;
  ASSERT_TRUE(page.declare("up", metric_type::gauge, "Help with \\ and\nnewline").has_value());
  ASSERT_TRUE(
      page.add("up", {{"proxy", "a\"b"}, {"server", "c\\d\ne"}}, std::int64_t{1}).has_value());
  EXPECT_EQ(page.text(),
            "# HELP up Help with \\\\ and\\nnewline\n"
            "# TYPE up gauge\n"
            "up{proxy=\"a\\\"b\",server=\"c\\\\d\\ne\"} 1\n");
}

TEST(prometheus_text, a_family_without_samples_is_left_out) {
  exposition page;
  ASSERT_TRUE(page.declare("empty", metric_type::gauge, "Nothing read").has_value());
  EXPECT_EQ(page.text(), "");
}

TEST(prometheus_text, bad_names_are_refused_as_declared) {
  exposition page;
  auto bad = page.declare("bad-name", metric_type::gauge, "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), prometheus_errc::invalid_metric_name);
  EXPECT_NE(bad.error().message().find("bad-name"), std::string::npos);
  auto counter = page.declare("requests", metric_type::counter, "x");
  ASSERT_FALSE(counter);
  EXPECT_EQ(counter.error(), prometheus_errc::counter_without_total);
}

TEST(prometheus_text, a_family_is_declared_once) {
  exposition page;
  ASSERT_TRUE(page.declare("up", metric_type::gauge, "x").has_value());
  auto again = page.declare("up", metric_type::gauge, "x");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), prometheus_errc::family_declared_twice);
}

TEST(prometheus_text, bad_samples_are_refused_and_leave_the_page_as_it_was) {
  exposition page;
  ASSERT_TRUE(page.declare("up", metric_type::gauge, "x").has_value());
  ASSERT_TRUE(page.add("up", {{"a", "1"}, {"b", "2"}}, std::int64_t{1}).has_value());
  auto undeclared = page.add("down", {}, std::int64_t{1});
  ASSERT_FALSE(undeclared);
  EXPECT_EQ(undeclared.error(), prometheus_errc::unknown_family);
  auto bad_label = page.add("up", {{"__name__", "x"}}, std::int64_t{1});
  ASSERT_FALSE(bad_label);
  EXPECT_EQ(bad_label.error(), prometheus_errc::invalid_label_name);
  auto twice = page.add("up", {{"a", "1"}, {"a", "2"}}, std::int64_t{1});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error(), prometheus_errc::duplicate_label);
  // The same series whatever order its labels are written in.
  auto duplicate = page.add("up", {{"b", "2"}, {"a", "1"}}, std::int64_t{0});
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error(), prometheus_errc::duplicate_sample);
  EXPECT_EQ(page.text(), "# HELP up x\n# TYPE up gauge\nup{a=\"1\",b=\"2\"} 1\n");
}

}  // namespace
}  // namespace lbha::web
