// connection_history: one sample per service per 30 s, an hour kept, a gone
// service forgotten; the graph drawn from it; and the overview's LAST HOUR cell.
#include "web/connection_history.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/web/fixtures.hpp"
#include "web/overview_page.hpp"

namespace lbha::web {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

v1::ProxyStatus with_connections(std::uint64_t iis, std::uint64_t da) {
  auto status = *testing::seed_overview().proxy;
  status.mutable_virtual_services(0)->set_current_connections(iis);
  status.mutable_virtual_services(1)->set_current_connections(da);
  return status;
}

TEST(web_connection_history, keeps_one_sample_per_30_s_for_an_hour) {
  connection_history history;
  const clock::time_point start{};
  for (int second = 0; second <= 7200; second += 2) {
    history.record(start + std::chrono::seconds(second),
                   with_connections(static_cast<std::uint64_t>(second), 1));
  }
  const auto* iis = history.of("IIS_VIP");
  ASSERT_NE(iis, nullptr);
  EXPECT_EQ(iis->size(), 121u);  // 3600 s / 30 s, both ends
  EXPECT_EQ(iis->back().connections, 7200u);
  EXPECT_EQ(iis->front().connections, 3600u);
  EXPECT_EQ(history.of("NOPE"), nullptr);
}

TEST(web_connection_history, a_service_gone_from_proxyd_loses_its_series) {
  connection_history history;
  history.record(clock::time_point{}, with_connections(1, 2));
  auto only_iis = with_connections(3, 4);
  only_iis.mutable_virtual_services()->RemoveLast();
  history.record(clock::time_point{} + 30s, only_iis);
  EXPECT_EQ(history.of("DA_VIP"), nullptr);
  EXPECT_EQ(history.of("IIS_VIP")->size(), 2u);
}

TEST(web_connection_history, the_graph_spans_the_hour_from_zero_to_the_highest) {
  connection_history history;
  const clock::time_point start{};
  history.record(start, with_connections(0, 0));
  history.record(start + 30min, with_connections(10, 0));
  history.record(start + 60min, with_connections(5, 0));
  const auto svg = render_connections_graph(*history.of("IIS_VIP"), start + 60min);
  EXPECT_THAT(svg, HasSubstr("points=\"0.0,23.0 60.0,1.0 120.0,12.0\""));
  EXPECT_THAT(svg, HasSubstr("<title>connections, last hour: now 5, highest 10</title>"));
  const auto flat = render_connections_graph(*history.of("DA_VIP"), start + 60min);
  EXPECT_THAT(flat, HasSubstr("points=\"0.0,23.0 60.0,23.0 120.0,23.0\""));
}

TEST(web_connection_history, the_overview_draws_each_services_graph) {
  connection_history history;
  history.record(clock::time_point{}, with_connections(7, 0));
  const auto html = render_overview_fragment(testing::seed_overview(), testing::reader_viewer,
                                             {&history, clock::time_point{} + 10s});
  EXPECT_THAT(html, HasSubstr("<th>LAST HOUR</th>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"graph\"><svg class=\"graph\""));
  EXPECT_THAT(html, HasSubstr("now 7, highest 7"));
  const auto without = render_overview_fragment(testing::seed_overview(), testing::reader_viewer);
  EXPECT_THAT(without, HasSubstr("<td class=\"graph\"></td>"));
  EXPECT_THAT(without, Not(HasSubstr("<svg")));
}

}  // namespace
}  // namespace lbha::web
