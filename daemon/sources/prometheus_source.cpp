// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/prometheus_source.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include "daemon/sources/http_client.hpp"
#include "model/time.hpp"
#include "daemon/config/section.hpp"

namespace complyd {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A string member of a JSON object, or "" (wrong shapes are the caller's error).
std::string text_of(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::shared_ptr<const SourceSettings> parse(cfg::Section& s, const fs::path& base) {
  auto out = std::make_shared<PrometheusSettings>();
  cfg::Diagnostics& d = s.diagnostics();
  if (auto v = s.string("url")) {
    std::string u = *v;
    while (u.size() > 1 && u.back() == '/') u.pop_back();
    if (auto why = check_source_url(u); !why.empty()) d.add(s.raw().get("url")->source(), fmt::format("{}: {}", s.path("url"), why));
    out->url = u;
  } else if (!s.raw().contains("url")) {
    d.add(s.where(), fmt::format("{}: 'url' is required (the Prometheus server, e.g. https://prometheus.example:9090)",
                                 s.name()));
  }
  if (auto v = s.string("ok_query")) out->ok_query = *v;
  if (auto v = s.string("fail_query")) out->fail_query = *v;
  if (auto v = s.string("unsigned_query")) out->unsigned_query = *v;  // "" = not measured
  for (const char* k : {"ok_query", "fail_query"}) {
    const std::string& q = std::string_view(k) == "ok_query" ? out->ok_query : out->fail_query;
    if (q.empty()) d.add(s.raw().get(k)->source(), fmt::format("{}: must not be empty", s.path(k)));
  }
  if (auto v = s.string("customer_label")) {
    if (v->empty()) d.add(s.raw().get("customer_label")->source(), fmt::format("{}: must not be empty", s.path("customer_label")));
    out->customer_label = *v;
  }
  if (auto v = s.duration("lookback", Duration{3600}, days(31))) out->lookback = *v;
  // 11,000 points per series at a 60 s step is about 183 h.
  if (auto v = s.duration("chunk", Duration{600}, Duration{180 * 3600})) out->chunk = *v;
  if (auto p = s.secret_file_value("bearer_token_file", base)) out->bearer_token_file = *p;
  return out;
}

struct Query {
  const char* name;  // ok, fail, unsigned
  const std::string* promql;
  std::uint32_t VerificationMinute::*field;
};

class PrometheusSource final : public ConfiguredSource {
 public:
  PrometheusSource(const SourceConfig& c, std::optional<Time> counters_from)
      : ConfiguredSource(c), s_(c.as<PrometheusSettings>()), http_(c.name, c.common), counters_from_(counters_from) {}

  std::vector<FactKind> provides() const override { return {FactKind::verifications}; }

  void collect(Facts& into, Time now, std::vector<std::string>& problems) override {
    http_.start();
    headers_ = {"Accept: application/json"};
    if (!s_.bearer_token_file.empty()) {
      headers_.push_back("Authorization: Bearer " + read_secret_file(s_.bearer_token_file, name()));
    }
    // Evaluation times on whole minutes: the value at t is the increase over
    // the minute ending at t, i.e. minute t/60 - 1.
    const std::int64_t end = now.time_since_epoch().count() / 60 * 60;
    // After a gap, back to what signature-failures has not judged yet.
    std::int64_t start = end - s_.lookback.count();
    if (counters_from_) start = std::min(start, counters_from_->time_since_epoch().count() / 60 * 60);
    std::map<std::string, std::map<std::int64_t, VerificationMinute>> by_customer;
    const Query queries[] = {{"ok", &s_.ok_query, &VerificationMinute::ok},
                             {"fail", &s_.fail_query, &VerificationMinute::fail},
                             {"unsigned", &s_.unsigned_query, &VerificationMinute::unsigned_processed}};
    for (const Query& q : queries) {
      if (q.promql->empty()) continue;
      Stats stats;
      for (std::int64_t from = start; from <= end;) {
        const std::int64_t to = std::min(from + s_.chunk.count(), end);
        query_chunk(q, from, to, by_customer, stats);
        from = to + 60;
      }
      report(q, stats, problems);
    }
    for (auto& [customer, minutes] : by_customer) {
      std::vector<VerificationMinute> kept;
      kept.reserve(minutes.size());
      for (auto& [m, v] : minutes) {
        if (v.ok == 0 && v.fail == 0 && v.unsigned_processed == 0) continue;  // missing minutes count as zero
        kept.push_back(v);
      }
      if (!kept.empty()) into.verifications.push_back(VerificationSeries{customer, PackedMinutes(kept)});
    }
  }

 private:
  struct Stats {
    std::int64_t unlabelled_series = 0;
    std::map<std::string, std::int64_t> bad_samples;  // customer -> NaN, negative or non-numeric samples
  };

  void report(const Query& q, const Stats& st, std::vector<std::string>& problems) const {
    if (st.unlabelled_series > 0) {
      problems.push_back(fmt::format("{} query: {} series without a '{}' label skipped; aggregate with "
                                     "'sum by ({}) (...)'",
                                     q.name, st.unlabelled_series, s_.customer_label, s_.customer_label));
    }
    for (const auto& [customer, n] : st.bad_samples) {
      problems.push_back(fmt::format("{} query: customer {}: {} sample(s) NaN, infinite, negative or not a number; "
                                     "skipped",
                                     q.name, customer, n));
    }
  }

  void query_chunk(const Query& q, std::int64_t from, std::int64_t to,
                   std::map<std::string, std::map<std::int64_t, VerificationMinute>>& out, Stats& stats) {
    HttpRequest req;
    req.url = fmt::format("{}/api/v1/query_range?query={}&start={}&end={}&step=60s", s_.url, url_encode(*q.promql),
                          from, to);
    req.headers = headers_;
    req.what = fmt::format("query_range {}_query ({} to {})", q.name, format_time(Time{Duration{from}}),
                           format_time(Time{Duration{to}}));
    const HttpResponse r = http_.send(req);
    if (r.status == 401 || r.status == 403) {
      throw SourceError(fmt::format("{}: {}: authentication refused (HTTP {}); check bearer_token_file and the "
                                    "proxy's access rules",
                                    name(), req.what, r.status));
    }
    // Prometheus answers query errors (400, 422, 503) with a JSON body.
    json doc;
    try {
      doc = json::parse(r.body);
    } catch (const json::exception&) {  // parse_error, or out_of_range for 1e999
      if (r.status < 200 || r.status >= 300) {
        throw SourceError(fmt::format("{}: {}: unexpected HTTP {}{}", name(), req.what, r.status,
                                      r.status == 404 ? " (is url the Prometheus server's base URL?)" : ""));
      }
      parse_json_body(r, name(), req.what);  // throws with the offset
    }
    const std::string status = text_of(doc, "status");
    if (status == "error") {
      std::string err = text_of(doc, "error");
      if (err.size() > 200) err = err.substr(0, 200) + "...";
      throw SourceError(fmt::format("{}: {}: Prometheus refused the query ({}: {}); check {}_query", name(), req.what,
                                    text_of(doc, "errorType"), err, q.name));
    }
    if (r.status < 200 || r.status >= 300 || status != "success") {
      throw SourceError(fmt::format("{}: {}: unexpected answer (HTTP {}, status '{}')", name(), req.what, r.status,
                                    status.substr(0, 20)));
    }
    const json* data = doc.contains("data") ? &doc["data"] : nullptr;
    if (data == nullptr || text_of(*data, "resultType") != "matrix" ||
        !data->contains("result") || !(*data)["result"].is_array()) {
      throw SourceError(fmt::format("{}: {}: the answer is not a matrix (data.resultType must be \"matrix\"); check "
                                    "that {}_query is an instant-vector expression",
                                    name(), req.what, q.name));
    }
    for (const json& series : (*data)["result"]) {
      const json* metric = series.contains("metric") ? &series["metric"] : nullptr;
      std::string customer;
      if (metric != nullptr && metric->is_object() && metric->contains(s_.customer_label) &&
          (*metric)[s_.customer_label].is_string()) {
        customer = (*metric)[s_.customer_label].get<std::string>();
      }
      if (customer.empty()) {
        ++stats.unlabelled_series;
        continue;
      }
      if (!series.contains("values") || !series["values"].is_array()) continue;
      auto& minutes = out[customer];
      for (const json& sample : series["values"]) {
        std::optional<double> v;
        std::optional<std::int64_t> ts;
        if (sample.is_array() && sample.size() == 2 && sample[0].is_number() && sample[1].is_string()) {
          ts = static_cast<std::int64_t>(std::llround(sample[0].get<double>()));
          const std::string text = sample[1].get<std::string>();
          char* endp = nullptr;
          const double d = std::strtod(text.c_str(), &endp);
          if (!text.empty() && endp == text.c_str() + text.size() && std::isfinite(d) && d >= 0) v = d;
        }
        if (!ts || !v) {
          ++stats.bad_samples[customer];
          continue;
        }
        const std::int64_t minute = *ts / 60 - 1;
        VerificationMinute& m = minutes[minute];
        m.minute = minute;
        const double rounded = std::min(std::round(*v), double{std::numeric_limits<std::uint32_t>::max()});
        m.*(q.field) = static_cast<std::uint32_t>(rounded);
      }
    }
  }

  const PrometheusSettings s_;
  HttpClient http_;
  std::vector<std::string> headers_;
  std::optional<Time> counters_from_;
};

std::unique_ptr<Source> make(const SourceConfig& c, const SourceContext& ctx) {
  return std::make_unique<PrometheusSource>(c, ctx.counters_from);
}

}  // namespace

extern const SourceType kPrometheusSourceType{
    "prometheus",
    "per-customer per-minute webhook signature verification counters from the Prometheus HTTP API",
    parse, make};

}  // namespace complyd
