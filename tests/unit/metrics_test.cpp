// SPDX-License-Identifier: Apache-2.0
// /metrics as Prometheus users read it: the cycle duration from a monotonic
// clock, a histogram of cycle durations, and the process_* metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include "daemon/http/handlers.hpp"
#include "daemon/http/snapshot.hpp"
#include "model/time.hpp"

namespace complyd {
namespace {

// The value of an unlabelled (or exactly labelled) sample, or NaN when absent.
double sample(const std::string& body, const std::string& series) {
  const auto at = body.find("\n" + series + " ");
  if (at == std::string::npos) return std::nan("");
  return std::stod(body.substr(at + series.size() + 2));
}

TEST(Metrics, LastCycleDurationIsTheMonotonicMeasureNotWholeSeconds) {
  http::Snapshot snap;
  CycleRecord c;
  c.id = 7;
  c.started_at = *parse_time("2026-12-01T10:00:00Z");
  c.finished_at = c.started_at;  // a 420 ms cycle: the same whole second in the state
  c.status = "ok";
  snap.last_cycle = c;
  EXPECT_EQ(sample(http::render_metrics(&snap), "complyd_last_cycle_duration_seconds"), 0)
      << "before this process ran a cycle, the stored whole seconds are all there is";
  snap.durations.observe(0.42);
  EXPECT_DOUBLE_EQ(sample(http::render_metrics(&snap), "complyd_last_cycle_duration_seconds"), 0.42);
}

TEST(Metrics, CycleDurationHistogramHasCumulativeBucketsSumAndCount) {
  http::Snapshot snap;
  for (double s : {0.05, 0.3, 0.3, 4.0, 700.0}) snap.durations.observe(s);
  const auto body = http::render_metrics(&snap);
  EXPECT_NE(body.find("# TYPE complyd_cycle_duration_seconds histogram\n"), std::string::npos) << body;
  EXPECT_EQ(sample(body, "complyd_cycle_duration_seconds_bucket{le=\"0.1\"}"), 1) << body;
  EXPECT_EQ(sample(body, "complyd_cycle_duration_seconds_bucket{le=\"0.25\"}"), 1);
  EXPECT_EQ(sample(body, "complyd_cycle_duration_seconds_bucket{le=\"0.5\"}"), 3);
  EXPECT_EQ(sample(body, "complyd_cycle_duration_seconds_bucket{le=\"5\"}"), 4);
  EXPECT_EQ(sample(body, "complyd_cycle_duration_seconds_bucket{le=\"600\"}"), 4);
  EXPECT_EQ(sample(body, "complyd_cycle_duration_seconds_bucket{le=\"+Inf\"}"), 5);
  EXPECT_EQ(sample(body, "complyd_cycle_duration_seconds_count"), 5);
  EXPECT_NEAR(sample(body, "complyd_cycle_duration_seconds_sum"), 704.65, 1e-9);
}

TEST(Metrics, ProcessMetricsDescribeThisProcess) {
  const auto body = http::render_metrics(nullptr);  // served even before the first snapshot
  EXPECT_GT(sample(body, "process_resident_memory_bytes"), 1 << 20) << body;
  EXPECT_GE(sample(body, "process_virtual_memory_bytes"), sample(body, "process_resident_memory_bytes"));
  EXPECT_GE(sample(body, "process_open_fds"), 3);  // stdin, stdout, stderr at least
  EXPECT_GT(sample(body, "process_max_fds"), 0);
  EXPECT_GE(sample(body, "process_cpu_seconds_total"), 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = sample(body, "process_start_time_seconds");
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 24 * 3600) << "this test process started within the day";
  EXPECT_NE(body.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

}  // namespace
}  // namespace complyd
