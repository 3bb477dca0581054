// SPDX-License-Identifier: Apache-2.0
#include "daemon/http/handlers.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "daemon/util/version.hpp"
#include "daemon/report/report_model.hpp"
#include "daemon/util/crypto.hpp"
#include "daemon/util/process_stats.hpp"
#include "model/time.hpp"

namespace complyd::http {

namespace {

Response text(bhttp::status status, unsigned version, std::string body, const char* type) {
  Response res{status, version};
  res.set(bhttp::field::server, "complyd");
  res.set(bhttp::field::content_type, type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// Prometheus label values: backslash, quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string num(double v) { return fmt::format("{}", v); }

void head_of(std::string& o, const char* name, const char* help, const char* type) {
  o += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void render_process_metrics(std::string& o) {
  const auto p = read_process_stats();
  if (!p) return;  // no /proc: left out, never zeros
  head_of(o, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter");
  o += fmt::format("process_cpu_seconds_total {}\n", num(p->cpu_seconds));
  head_of(o, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge");
  o += fmt::format("process_resident_memory_bytes {}\n", p->resident_bytes);
  head_of(o, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge");
  o += fmt::format("process_virtual_memory_bytes {}\n", p->virtual_bytes);
  head_of(o, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge");
  o += fmt::format("process_start_time_seconds {}\n", num(p->start_time_seconds));
  head_of(o, "process_open_fds", "Number of open file descriptors.", "gauge");
  o += fmt::format("process_open_fds {}\n", p->open_fds);
  if (p->max_fds) {
    head_of(o, "process_max_fds", "Maximum number of open file descriptors.", "gauge");
    o += fmt::format("process_max_fds {}\n", *p->max_fds);
  }
}

// Cumulative buckets, as Prometheus histograms are exposed.
void render_duration_histogram(std::string& o, const CycleDurations& d) {
  head_of(o, "complyd_cycle_duration_seconds", "Cycles run by this process, by duration (monotonic clock).",
          "histogram");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < CycleDurations::kBuckets.size(); ++i) {
    cumulative += d.in_bucket[i];
    o += fmt::format("complyd_cycle_duration_seconds_bucket{{le=\"{}\"}} {}\n", num(CycleDurations::kBuckets[i]),
                     cumulative);
  }
  o += fmt::format("complyd_cycle_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", d.count);
  o += fmt::format("complyd_cycle_duration_seconds_sum {}\n", num(d.sum));
  o += fmt::format("complyd_cycle_duration_seconds_count {}\n", d.count);
}

// "?format=html" -> "html"; only the first `format` parameter counts.
std::string query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  auto rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

}  // namespace

Response error_response(bhttp::status status, unsigned version, const std::string& message) {
  auto res = text(status, version, nlohmann::json{{"error", message}}.dump() + "\n", "application/json");
  if (status == bhttp::status::unauthorized) res.set(bhttp::field::www_authenticate, "Bearer realm=\"complyd\"");
  return res;
}

std::optional<std::string> authenticated_token(std::string_view authorization, const std::vector<HttpToken>& tokens) {
  constexpr std::string_view scheme = "Bearer ";
  if (tokens.empty() || authorization.size() <= scheme.size()) return std::nullopt;
  if (!std::equal(scheme.begin(), scheme.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); })) {
    return std::nullopt;
  }
  const std::string presented = sha256_hex(authorization.substr(scheme.size()));
  const HttpToken* found = nullptr;
  for (const auto& t : tokens) {
    if (constant_time_equal(presented, t.sha256) && found == nullptr) found = &t;  // no early exit
  }
  if (found == nullptr) return std::nullopt;
  return found->name;
}

std::string render_metrics(const Snapshot* snap) {
  std::string o;
  auto head = [&](const char* name, const char* help, const char* type) { head_of(o, name, help, type); };
  head("complyd_build_info", "complyd version.", "gauge");
  o += fmt::format("complyd_build_info{{version=\"{}\"}} 1\n", label(kVersion));
  head("complyd_snapshot_ready", "1 once the first snapshot of the state database is served.", "gauge");
  o += fmt::format("complyd_snapshot_ready {}\n", snap != nullptr ? 1 : 0);
  render_process_metrics(o);
  if (snap == nullptr) return o;

  head("complyd_findings_open", "Open findings (not muted) by severity and check.", "gauge");
  for (const auto& [k, n] : snap->open) {
    o += fmt::format("complyd_findings_open{{severity=\"{}\",check=\"{}\"}} {}\n", label(k.first), label(k.second), n);
  }
  head("complyd_findings_muted", "Muted findings by severity and check.", "gauge");
  for (const auto& [k, n] : snap->muted) {
    o += fmt::format("complyd_findings_muted{{severity=\"{}\",check=\"{}\"}} {}\n", label(k.first), label(k.second), n);
  }
  head("complyd_cycles_recorded", "Cycles recorded in the state database.", "gauge");
  o += fmt::format("complyd_cycles_recorded {}\n", snap->cycles_total);
  if (const auto& c = snap->last_cycle) {
    const auto end = c->finished_at.value_or(c->started_at);
    head("complyd_last_cycle_duration_seconds",
         "Duration of the last cycle (monotonic clock; whole seconds from the state until this process ran one).",
         "gauge");
    const auto& d = snap->durations;
    o += fmt::format("complyd_last_cycle_duration_seconds {}\n",
                     d.last ? num(*d.last) : num(static_cast<double>((end - c->started_at).count())));
    head("complyd_last_cycle_timestamp_seconds", "When the last recorded cycle finished (unix time).", "gauge");
    o += fmt::format("complyd_last_cycle_timestamp_seconds {}\n", end.time_since_epoch().count());
    head("complyd_last_cycle_ok", "1 if the last cycle was complete (status ok), 0 if partial or failed.", "gauge");
    o += fmt::format("complyd_last_cycle_ok {}\n", c->status == "ok" ? 1 : 0);
    head("complyd_source_up", "1 if the source delivered its facts in the last cycle.", "gauge");
    for (const auto& s : c->sources) {
      o += fmt::format("complyd_source_up{{source=\"{}\",type=\"{}\"}} {}\n", label(s.name), label(s.type), s.ok ? 1 : 0);
    }
  }
  if (snap->last_success_at) {
    head("complyd_last_success_timestamp_seconds", "When the last complete (status ok) cycle finished (unix time).",
         "gauge");
    o += fmt::format("complyd_last_success_timestamp_seconds {}\n", snap->last_success_at->time_since_epoch().count());
  }
  render_duration_histogram(o, snap->durations);
  std::string last_name;
  for (const auto& m : snap->extra) {
    if (m.name != last_name) head(m.name.c_str(), m.help.c_str(), m.type.c_str());
    last_name = m.name;
    std::string labels;
    for (const auto& [k, v] : m.labels) labels += fmt::format("{}{}=\"{}\"", labels.empty() ? "" : ",", k, label(v));
    o += fmt::format("{}{} {}\n", m.name, labels.empty() ? "" : "{" + labels + "}", num(m.value));
  }
  return o;
}

Response handle_request(const Request& req, const Snapshot* snap, const HttpConfig& cfg) {
  const unsigned v = req.version();
  const std::string_view target(req.target().data(), req.target().size());
  const auto path = target.substr(0, target.find('?'));
  if (req.method() != bhttp::verb::get) {
    auto res = error_response(bhttp::status::method_not_allowed, v, "only GET is supported");
    res.set(bhttp::field::allow, "GET");
    return res;
  }
  if (path == "/healthz") {
    nlohmann::json j{{"status", "ok"}, {"version", kVersion}};
    if (snap != nullptr && snap->last_cycle) {
      const auto& c = *snap->last_cycle;
      j["last_cycle"] = {{"id", c.id},
                         {"status", c.status},
                         {"finished_at", format_time(c.finished_at.value_or(c.started_at))},
                         {"open", c.open_total}};
    } else {
      j["last_cycle"] = nullptr;
    }
    return text(bhttp::status::ok, v, j.dump() + "\n", "application/json");
  }
  if (path == "/metrics") {
    return text(bhttp::status::ok, v, render_metrics(snap), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path.starts_with("/v1/")) {
    const auto auth = req[bhttp::field::authorization];
    if (!authenticated_token(std::string_view(auth.data(), auth.size()), cfg.tokens)) {
      return error_response(bhttp::status::unauthorized, v, "a valid bearer token is required");
    }
    if (snap == nullptr) return error_response(bhttp::status::service_unavailable, v, "no snapshot yet; retry shortly");
    if (path == "/v1/findings") return text(bhttp::status::ok, v, snap->findings_json, "application/json");
    if (path == "/v1/report") {
      auto format = query_param(target, "format");
      if (format.empty()) format = "json";
      if (format != "html" && format != "md" && format != "json" && format != "csv") {
        return error_response(bhttp::status::bad_request, v, "format must be one of html, md, json, csv");
      }
      auto it = snap->reports.find(format);
      if (it == snap->reports.end()) {
        return error_response(bhttp::status::service_unavailable, v,
                              snap->report_unavailable.empty() ? "no report yet; retry shortly"
                                                               : snap->report_unavailable);
      }
      return text(bhttp::status::ok, v, it->second, report::content_type(format));
    }
  }
  return error_response(bhttp::status::not_found, v, "not found");
}

}  // namespace complyd::http
