#include "common/metrics.h"

#include <gtest/gtest.h>

namespace dbaudit {
namespace {

TEST(MetricsTest, SameNameGivesSameCounter) {
  MetricsRegistry reg;
  Counter* a = reg.GetCounter("x_total", "help");
  Counter* b = reg.GetCounter("x_total", "help");
  EXPECT_EQ(a, b);
  a->Add();
  b->Add(2);
  EXPECT_EQ(a->Value(), 3u);
}

TEST(MetricsTest, RendersPrometheusText) {
  MetricsRegistry reg;
  reg.GetCounter("dbaudit_b_total", "Bees.")->Add(5);
  reg.GetGauge("dbaudit_a", "Ays.")->Set(-2);
  EXPECT_EQ(reg.PrometheusText(),
            "# HELP dbaudit_a Ays.\n# TYPE dbaudit_a gauge\ndbaudit_a -2\n"
            "# HELP dbaudit_b_total Bees.\n# TYPE dbaudit_b_total counter\ndbaudit_b_total 5\n");
}

}  // namespace
}  // namespace dbaudit
