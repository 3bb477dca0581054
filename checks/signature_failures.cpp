// SPDX-License-Identifier: Apache-2.0
// signature-failures: per customer, webhook signature verification health from
// the per-minute counters: a sustained failure rate, a failure spike against
// the customer's own baseline, silence (no successful verification while
// deliveries arrive) and any unsigned request that was processed.
//
// Each minute is judged once (the rate windows ending in it, its spike, its
// unsigned requests): from the watermark the state database keeps to now.
// Those findings are incidents and stay open until acknowledged; silence is
// a state and resolves when verifications succeed again.
//
// Every pass over a series is linear in its minutes (running sums and two
// pointers): the scale target is 14.4M rows.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <span>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

std::uint32_t saturating_add(std::uint32_t a, std::uint32_t b) {
  return b > std::numeric_limits<std::uint32_t>::max() - a ? std::numeric_limits<std::uint32_t>::max() : a + b;
}

std::string percent(double rate) { return fmt::format("{:.2f}%", rate * 100.0); }

// The series as strictly increasing minutes, decoded into `scratch`. The
// source delivers it sorted; anything else is sorted and duplicate minutes
// are merged.
std::span<const VerificationMinute> normalized(const VerificationSeries& s, std::vector<VerificationMinute>& scratch) {
  s.minutes.decode_into(scratch);
  const bool ordered = std::adjacent_find(scratch.begin(), scratch.end(), [](const auto& a, const auto& b) {
                         return a.minute >= b.minute;
                       }) == scratch.end();
  if (ordered) return scratch;
  std::stable_sort(scratch.begin(), scratch.end(), [](const auto& a, const auto& b) { return a.minute < b.minute; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < scratch.size(); ++i) {
    if (out > 0 && scratch[out - 1].minute == scratch[i].minute) {
      auto& m = scratch[out - 1];
      m.ok = saturating_add(m.ok, scratch[i].ok);
      m.fail = saturating_add(m.fail, scratch[i].fail);
      m.unsigned_processed = saturating_add(m.unsigned_processed, scratch[i].unsigned_processed);
    } else {
      scratch[out++] = scratch[i];
    }
  }
  scratch.resize(out);
  return scratch;
}

struct Limits {
  double max_failure_rate;
  std::int64_t window_minutes;
  std::int64_t min_sample;
  double spike_factor;
  double min_baseline;
  Duration max_silence;
  std::int64_t now_s, now_minute;
  std::int64_t judge_first_minute;  // first minute judged (after the watermark)
  std::int64_t baseline_first;  // first minute of the baseline window
  std::int64_t silence_first;   // first minute overlapping the last max_silence
};

// Worst failure-rate window ending in a judged minute (window sums over
// missing minutes are zero), found with one two-pointer pass.
struct WorstWindow {
  double rate = -1;
  std::int64_t end_minute = 0;
  std::uint64_t failures = 0, verifications = 0;
};

WorstWindow worst_window(std::span<const VerificationMinute> ms, const Limits& l) {
  WorstWindow worst;
  const std::int64_t first_needed = l.judge_first_minute - l.window_minutes + 1;
  std::size_t lo = static_cast<std::size_t>(
      std::partition_point(ms.begin(), ms.end(), [&](const auto& m) { return m.minute < first_needed; }) - ms.begin());
  std::size_t hi = lo;
  std::uint64_t ok = 0, fail = 0;
  std::int64_t end = l.judge_first_minute;
  while (end <= l.now_minute) {
    while (hi < ms.size() && ms[hi].minute <= end) {
      ok += ms[hi].ok;
      fail += ms[hi].fail;
      ++hi;
    }
    while (lo < hi && ms[lo].minute <= end - l.window_minutes) {
      ok -= ms[lo].ok;
      fail -= ms[lo].fail;
      ++lo;
    }
    const std::uint64_t total = ok + fail;
    if (total > 0 && total >= static_cast<std::uint64_t>(std::max<std::int64_t>(l.min_sample, 0))) {
      const double rate = static_cast<double>(fail) / static_cast<double>(total);
      if (rate > worst.rate) worst = {rate, end, fail, total};
    }
    if (lo == hi) {  // empty window: jump to the next minute with traffic
      if (hi == ms.size()) break;
      end = std::max(end + 1, ms[hi].minute);
    } else {
      ++end;
    }
  }
  return worst;
}

std::vector<Finding> evaluate(const CheckContext& ctx, const SignatureFailuresParams& params) {
  std::vector<Finding> out;
  const Duration window = params.window;
  const Duration baseline_window = params.baseline_window;
  Limits l{};
  l.max_failure_rate = params.max_failure_rate;
  l.window_minutes = std::max<std::int64_t>(1, (window.count() + 59) / 60);
  l.min_sample = params.min_sample;
  l.spike_factor = params.spike_factor;
  l.min_baseline = params.min_baseline_per_minute;
  l.max_silence = params.max_silence;
  // The counters may lag behind the evaluation time (a delayed export, or a
  // snapshot audited again later): evaluate them as of their newest minute,
  // never later than now, so findings do not resolve merely because time
  // passed without data. A stale feed is the source's finding, not this one's.
  const std::int64_t now_s = ctx.now.time_since_epoch().count();
  const std::int64_t now_minute = floor_div(now_s, 60);
  constexpr std::int64_t kMaxLagMinutes = 7 * 1440;  // older counters are not evaluated at all
  std::optional<std::int64_t> newest;
  for (const auto& series : ctx.facts.verifications) {
    for (const auto& m : series.minutes) {
      if (m.minute <= now_minute && m.minute >= now_minute - kMaxLagMinutes && (!newest || m.minute > *newest)) {
        newest = m.minute;
      }
    }
  }
  // Minutes between the watermark and the backfill limit are never judged:
  // say so, once, rather than pass over them.
  const std::int64_t judge_first = first_minute_to_judge(params, ctx.facts.judged_through, ctx.now);
  if (auto wm = ctx.facts.judged_through.find(kVerificationsStream);
      wm != ctx.facts.judged_through.end() && wm->second + 1 < judge_first) {
    const std::int64_t skipped = judge_first - (wm->second + 1);
    Finding f;
    f.severity = ctx.severity;
    f.subject = fmt::format("webhooks:unjudged:{}", format_time(minute_start(wm->second + 1)));
    f.title = "webhook verification counters left unjudged";
    f.detail = fmt::format("{} minute(s) of webhook verification counters, from {} to {}, were not judged: complyd "
                           "last judged them {} before this cycle, longer than max_backfill ({}). Unsigned requests "
                           "or failure bursts in that period would go unseen.",
                           skipped, format_time(minute_start(wm->second + 1)), format_time(minute_start(judge_first)),
                           format_duration(ctx.now - minute_start(wm->second + 1)),
                           format_duration(params.max_backfill));
    f.remediation = "Review the counters of that period by hand (the inventory's webhook_verifications or the "
                    "metrics store), or raise [checks.signature-failures] max_backfill and keep the daemon running.";
    f.evidence.emplace_back("first_unjudged_minute", format_time(minute_start(wm->second + 1)));
    f.evidence.emplace_back("unjudged_minutes", std::to_string(skipped));
    f.evidence.emplace_back("max_backfill", format_duration(params.max_backfill));
    out.push_back(std::move(f));
  }
  if (!newest) return out;
  l.now_s = std::min(now_s, (*newest + 1) * 60);
  l.now_minute = floor_div(l.now_s, 60);
  const Time as_of{Duration{l.now_s}};
  l.judge_first_minute = judge_first;
  l.baseline_first = l.judge_first_minute - std::max<std::int64_t>(1, (baseline_window.count() + 59) / 60);
  l.silence_first = floor_div(l.now_s - l.max_silence.count(), 60);
  const std::int64_t eval_first =
      std::min({l.baseline_first, l.judge_first_minute - l.window_minutes + 1, l.silence_first});
  // The unsigned finding is one step above the configured severity.
  const Severity unsigned_severity = ctx.severity == Severity::critical
                                         ? Severity::critical
                                         : static_cast<Severity>(static_cast<int>(ctx.severity) + 1);

  std::vector<VerificationMinute> scratch;
  for (const auto& series : ctx.facts.verifications) {
    auto all = normalized(series, scratch);
    // Only minutes in [eval_first, now] matter; minutes that start after the
    // evaluation time are bad data and ignored.
    const auto from =
        std::partition_point(all.begin(), all.end(), [&](const auto& m) { return m.minute < eval_first; });
    const auto to = std::partition_point(from, all.end(), [&](const auto& m) { return m.minute <= l.now_minute; });
    const std::span<const VerificationMinute> ms(from, to);
    if (ms.empty()) continue;

    // One pass: baseline, judged totals, the worst minute, last success, recent activity.
    std::uint64_t baseline_fail = 0, unsigned_total = 0, activity = 0, spike_fail = 0;
    std::int64_t spike_minute = 0, first_unsigned = 0, last_unsigned = 0;
    std::optional<std::int64_t> last_ok;
    for (const auto& m : ms) {
      if (m.minute < l.judge_first_minute) {
        if (m.minute >= l.baseline_first) baseline_fail += m.fail;
      } else {
        if (m.unsigned_processed > 0) {
          if (unsigned_total == 0) first_unsigned = m.minute;
          last_unsigned = m.minute;
          unsigned_total += m.unsigned_processed;
        }
        if (m.fail > spike_fail) {
          spike_fail = m.fail;
          spike_minute = m.minute;
        }
      }
      if (m.ok > 0) last_ok = m.minute;
      if (m.minute >= l.silence_first) activity += std::uint64_t{m.ok} + m.fail + m.unsigned_processed;
    }

    auto make = [&](std::string subject, std::string title, std::string detail, std::string remediation) {
      Finding f;
      f.severity = ctx.severity;
      f.customer_id = series.customer_id;
      f.subject = std::move(subject);
      f.title = std::move(title);
      f.detail = std::move(detail);
      f.remediation = std::move(remediation);
      if (as_of < ctx.now) f.evidence.emplace_back("counters_as_of", format_time(as_of));
      return f;
    };

    // (a) failure rate sustained over a window, with a minimum sample.
    const WorstWindow worst = worst_window(ms, l);
    if (worst.rate > l.max_failure_rate) {
      const std::string window_end = format_time(std::min(minute_start(worst.end_minute + 1), as_of));
      auto f = make("webhooks:failure-rate", "webhook signature failure rate above threshold",
                    fmt::format("Webhook deliveries for customer {} failed signature verification at {} ({} of {}) "
                                "over the {} ending {}, above the {} limit: a misconfigured or wrongly rotated "
                                "secret, or someone forging requests.",
                                series.customer_id, percent(worst.rate), worst.failures, worst.verifications,
                                format_duration(window), window_end,
                                percent(l.max_failure_rate)),
                    "Compare the secret in the secrets manager with the one on the platform's webhook "
                    "subscription (a rotation without the dual-verify window is the usual cause); if they match, "
                    "treat the failures as forgery attempts: review the rejected requests' sources and rate-limit "
                    "the endpoint.");
      f.evidence.emplace_back("window_end", window_end);
      f.evidence.emplace_back("window", format_duration(window));
      f.evidence.emplace_back("failures", std::to_string(worst.failures));
      f.evidence.emplace_back("verifications", std::to_string(worst.verifications));
      f.evidence.emplace_back("failure_rate", percent(worst.rate));
      f.evidence.emplace_back("max_failure_rate", percent(l.max_failure_rate));
      out.push_back(std::move(f));
    }

    // (b) failures in one minute against the customer's own baseline.
    const std::int64_t baseline_from = std::max(l.baseline_first, ms.front().minute);
    const std::int64_t baseline_minutes = l.judge_first_minute - baseline_from;
    const double mean =
        baseline_minutes > 0 ? static_cast<double>(baseline_fail) / static_cast<double>(baseline_minutes) : 0.0;
    const double baseline = std::max(mean, l.min_baseline);
    if (spike_fail > 0 && static_cast<double>(spike_fail) > l.spike_factor * baseline) {
      auto f = make("webhooks:spike", "webhook signature failure spike",
                    fmt::format("Customer {} had {} signature verification failures in the minute starting {}, more "
                                "than {}x its baseline of {:.2f} failures per minute: either a rotation problem or "
                                "an attack on the webhook endpoint.",
                                series.customer_id, spike_fail, format_time(minute_start(spike_minute)), l.spike_factor,
                                baseline),
                    "Investigate now: check whether the webhook secret was just rotated (dual-verify window "
                    "missing), and look at the failed requests' sources; block and rate-limit if they are not "
                    "the platform's.");
      f.evidence.emplace_back("minute", format_time(minute_start(spike_minute)));
      f.evidence.emplace_back("failures", std::to_string(spike_fail));
      f.evidence.emplace_back("baseline_per_minute", fmt::format("{:.2f}", baseline));
      f.evidence.emplace_back("spike_factor", fmt::format("{}", l.spike_factor));
      out.push_back(std::move(f));
    }

    // (c) no successful verification for too long while deliveries arrive.
    const bool silent = !last_ok || (as_of - minute_start(*last_ok + 1)) > l.max_silence;
    if (activity > 0 && silent) {
      const std::string since =
          last_ok ? format_time(minute_start(*last_ok + 1)) : "before " + format_time(minute_start(eval_first));
      auto f = make("webhooks:silence", "no successful webhook signature verification",
                    fmt::format("Webhook deliveries for customer {} keep arriving but none has verified since {} "
                                "(limit {}): the secret is probably out of step with the platform's subscription, "
                                "and every event is being rejected.",
                                series.customer_id, since, format_duration(l.max_silence)),
                    "Re-sync the webhook secret: generate a new secret, store it beside the current one, update the "
                    "platform's subscription with it (PUT /api/Webhook/{id}), confirm deliveries verify, then "
                    "replay the missed events.");
      f.evidence.emplace_back("last_success", since);
      f.evidence.emplace_back("deliveries_in_silence", std::to_string(activity));
      f.evidence.emplace_back("max_silence", format_duration(l.max_silence));
      out.push_back(std::move(f));
    }

    // (d) any unsigned request processed: an unsigned request is a forged request.
    if (unsigned_total > 0) {
      auto f = make("webhooks:unsigned", "unsigned webhook request processed",
                    fmt::format("The webhook endpoint for customer {} processed {} request(s) without a signature "
                                "between {} and {}; an unsigned request is a forged request.",
                                series.customer_id, unsigned_total, format_time(minute_start(first_unsigned)),
                                format_time(minute_start(last_unsigned + 1))),
                    "Make the receiver reject (401) every request without a valid signature before any processing, "
                    "then review the events those requests created (gifts, donors, e-mails) and reverse forged "
                    "ones.");
      f.severity = unsigned_severity;
      f.evidence.emplace_back("unsigned_requests", std::to_string(unsigned_total));
      f.evidence.emplace_back("first_minute", format_time(minute_start(first_unsigned)));
      f.evidence.emplace_back("last_minute", format_time(minute_start(last_unsigned)));
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace

const CheckDef& signature_failures_check() {
  static const CheckDef def = make_check<SignatureFailuresParams>(
      CheckInfo{
          .id = "signature-failures",
          .title = "Webhook signatures verify",
          .default_severity = Severity::high,
          .checklist_items = {"Signature verification on every incoming webhook before any processing",
                              "Validate webhook signatures", "Monitor for unusual activity"},
          .rationale = "Verification failures mean either a secret out of step with the platform or forged "
                       "requests; the reference pages alert on a failure rate above 1% sustained over 10 minutes, "
                       "failures per minute above 10x baseline and more than 1 hour without a successful "
                       "verification during active delivery, and an unsigned request is a forged request.",
          .remediation = "Find out whether the secret or an attacker is the cause: compare the stored secret with "
                         "the subscription's, review rejected requests, and reject every unsigned request.",
          .frameworks = {{"SOC 2", "CC7.2"}, {"SOC 2", "CC7.3"}, {"PCI DSS v4.0", "10.2.1.4"}},
          .needs = {FactKind::verifications},
          .kind = FindingKind::incident,
          .state_subjects = {"webhooks:silence"},
      },
      {{.name = "max_failure_rate",
        .member = &SignatureFailuresParams::max_failure_rate,
        .description = "Verification failure rate (failures / verifications) above which a window alarms",
        .min = 0,
        .max = 1},
       {.name = "window",
        .member = &SignatureFailuresParams::window,
        .description = "Window over which the failure rate must be sustained",
        .min = 60,
        .max = kSecondsPerDay},
       {.name = "min_sample",
        .member = &SignatureFailuresParams::min_sample,
        .description = "Minimum verifications in a window before its rate is judged, so quiet customers do not alarm",
        .min = 1},
       {.name = "spike_factor",
        .member = &SignatureFailuresParams::spike_factor,
        .description = "Failures in one minute above this multiple of the customer's baseline are a spike",
        .min = 1},
       {.name = "min_baseline_per_minute",
        .member = &SignatureFailuresParams::min_baseline_per_minute,
        .description = "Floor of the baseline failures per minute, so that a zero baseline "
                       "does not make one failure a spike",
        .min = 0},
       {.name = "baseline_window",
        .member = &SignatureFailuresParams::baseline_window,
        .description = "Period before the first judged minute over which the baseline failures per minute are averaged",
        .min = 60,
        .max = 7 * kSecondsPerDay},
       {.name = "max_silence",
        .member = &SignatureFailuresParams::max_silence,
        .description = "Longest time without a successful verification while deliveries are active",
        .min = 60,
        .max = 7 * kSecondsPerDay},
       {.name = "max_backfill",
        .member = &SignatureFailuresParams::max_backfill,
        .description = "Furthest back a cycle judges counters: after a gap longer than this (and on a first run) "
                       "the older minutes are reported as unjudged",
        .min = 3600,
        .max = 31 * kSecondsPerDay}},
      evaluate);
  return def;
}

std::int64_t first_minute_to_judge(const SignatureFailuresParams& p, const std::map<std::string, std::int64_t>& judged,
                                   Time now) {
  const std::int64_t now_s = now.time_since_epoch().count();
  const std::int64_t floor = floor_div(now_s - p.max_backfill.count(), 60);
  auto wm = judged.find(kVerificationsStream);
  return wm == judged.end() ? floor : std::max(floor, wm->second + 1);
}

std::int64_t first_minute_to_read(const SignatureFailuresParams& p, const std::map<std::string, std::int64_t>& judged,
                                  Time now) {
  const std::int64_t judge_first = first_minute_to_judge(p, judged, now);
  const std::int64_t window = std::max<std::int64_t>(1, (p.window.count() + 59) / 60);
  const std::int64_t baseline = std::max<std::int64_t>(1, (p.baseline_window.count() + 59) / 60);
  const std::int64_t silence = floor_div(now.time_since_epoch().count() - p.max_silence.count(), 60);
  return std::min({judge_first - baseline, judge_first - window + 1, silence});
}

const SignatureFailuresParams& signature_failures_params(const CheckConfigs& checks) {
  return configured_params<SignatureFailuresParams>(checks, signature_failures_check());
}

}  // namespace complyd
