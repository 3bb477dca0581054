// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/ingest_source.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "daemon/config/config.hpp"
#include "daemon/sources/ingest_store.hpp"
#include "model/time.hpp"
#include "daemon/config/section.hpp"

namespace complyd {

namespace fs = std::filesystem;

fs::path ingest_db_path(const SourceConfig& source, const Config& config) {
  const auto& s = source.as<IngestSettings>();
  if (!s.path.empty()) return s.path;
  return (config.state_db.has_parent_path() ? config.state_db.parent_path() : fs::path(".")) / "ingest.db";
}

IngestSource::IngestSource(const SourceConfig& c, fs::path db, std::optional<Time> counters_from)
    : ConfiguredSource(c), settings_(c.as<IngestSettings>()), db_(std::move(db)), counters_from_(counters_from) {}

void IngestSource::collect(Facts& into, Time now, std::vector<std::string>& problems) {
  std::error_code ec;
  if (!fs::exists(db_, ec)) {
    throw SourceError(fmt::format("{} does not exist: no receiver has pushed a batch yet (complyd run creates it "
                                  "when its HTTP endpoint starts: check [http] listen and that the daemon runs)",
                                  db_.string()));
  }
  std::vector<std::string> names;
  for (const auto& r : settings_.receivers) names.push_back(r.name);
  IngestSnapshot snap;
  try {
    // After a gap, back to what signature-failures has not judged yet (as far
    // as the ingest database's retention still holds it).
    const Time from = std::min(now - settings_.window, counters_from_.value_or(now - settings_.window));
    snap = read_ingest(db_, names, from, now,
                       static_cast<int>(std::chrono::milliseconds(common().timeout).count()));
  } catch (const std::exception& e) {
    throw SourceError(fmt::format("cannot read {}: {}", db_.string(), e.what()));
  }
  // Never pass on silence: a feed that stopped is a failed source.
  std::optional<Time> newest;
  for (const auto& r : snap.receivers) newest = std::max(newest.value_or(r.last_batch_at), r.last_batch_at);
  if (!newest) {
    const auto since = snap.created_at.value_or(Time{});
    if (!snap.initialised || !snap.created_at || now - since > settings_.stale_after) {
      throw SourceError(fmt::format("no batch received from any receiver{} (stale_after {}); check that the "
                                    "receivers push to POST /v1/verifications with their tokens",
                                    snap.created_at ? " since " + format_time(*snap.created_at) : std::string(),
                                    format_duration(settings_.stale_after)));
    }
    // Within stale_after of the endpoint's first start: nothing to report yet.
    return;
  }
  if (now - *newest > settings_.stale_after) {
    throw SourceError(fmt::format("no batch received since {} (stale_after {}); check the receivers' pushes to "
                                  "POST /v1/verifications",
                                  format_time(*newest), format_duration(settings_.stale_after)));
  }
  for (const auto& r : settings_.receivers) {
    auto it = std::find_if(snap.receivers.begin(), snap.receivers.end(),
                           [&](const IngestReceiverStatus& s) { return s.receiver == r.name; });
    if (it == snap.receivers.end()) {
      problems.push_back(fmt::format("receiver {}: no batch received yet", r.name));
    } else if (now - it->last_batch_at > settings_.stale_after) {
      problems.push_back(fmt::format("receiver {}: no batch received since {} (stale_after {})", r.name,
                                     format_time(it->last_batch_at), format_duration(settings_.stale_after)));
    }
  }
  if (snap.clamped > 0) {
    problems.push_back(fmt::format("verification_minutes: {} per-minute sums above 4294967295 clamped", snap.clamped));
  }
  into.verifications = std::move(snap.series);
}

namespace {

std::shared_ptr<const SourceSettings> parse_ingest(cfg::Section& s, const fs::path& base) {
  auto out = std::make_shared<IngestSettings>();
  auto& d = s.diagnostics();
  if (auto p = s.path_value("path", base)) out->path = *p;
  if (auto v = s.duration("window", Duration{3600}, days(7))) out->window = *v;
  if (auto v = s.duration("retention", Duration{3600}, days(30))) out->retention = *v;
  if (auto v = s.duration("stale_after", Duration{60}, days(7))) out->stale_after = *v;
  if (auto v = s.integer("max_batch_bytes", 1024, std::int64_t{64} << 20)) out->max_batch_bytes = *v;
  if (auto v = s.integer("max_rows_per_batch", 1, 1000000)) out->max_rows_per_batch = *v;
  if (out->retention < out->window) {
    d.add(s.raw().contains("retention") ? s.raw().get("retention")->source() : s.where(),
          fmt::format("{}: retention ({}) must be at least window ({}): the source returns window's history",
                      s.name(), format_duration(out->retention), format_duration(out->window)));
  }
  const toml::node* rn = s.raw().get("receivers");
  if (rn == nullptr || (rn->is_array() && rn->as_array()->empty())) {
    s.node("receivers");
    d.add(rn != nullptr ? rn->source() : s.where(),
          fmt::format("{}: at least one receiver is required: receivers = [ {{ name = \"worker-eu\", "
                      "token_sha256 = \"<sha256 of its token>\" }} ]",
                      s.path("receivers")));
    return out;
  }
  static const RE2 name_re("[a-z0-9][a-z0-9_.-]{0,62}");
  static const RE2 hex_re("[0-9a-fA-F]{64}");
  std::set<std::string> names, hashes;
  for (auto& r : s.tables("receivers")) {
    IngestReceiver rec;
    if (auto v = r.string("name")) {
      if (!RE2::FullMatch(*v, name_re)) {
        d.add(r.raw().get("name")->source(),
              fmt::format("{}: '{}' is not a receiver name (lowercase letters, digits, '_', '.', '-')",
                          r.path("name"), *v));
      } else if (!names.insert(*v).second) {
        d.add(r.raw().get("name")->source(), fmt::format("{}: receiver '{}' is listed twice", r.path("name"), *v));
      }
      rec.name = *v;
    } else if (!r.raw().contains("name")) {
      d.add(r.where(), fmt::format("{}: 'name' is required", r.name()));
    }
    if (auto v = r.string("token_sha256")) {
      if (!RE2::FullMatch(*v, hex_re)) {
        // Never echo it: someone may have pasted a token instead of its hash.
        d.add(r.raw().get("token_sha256")->source(),
              fmt::format("{}: must be the SHA-256 of the receiver's token as 64 hex digits (e.g. printf %s "
                          "\"$TOKEN\" | sha256sum), never the token itself",
                          r.path("token_sha256")));
      } else {
        std::string h = *v;
        std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
        if (!hashes.insert(h).second) {
          d.add(r.raw().get("token_sha256")->source(),
                fmt::format("{}: the same token hash is listed for another receiver; give each receiver its own "
                            "token",
                            r.path("token_sha256")));
        }
        rec.token_sha256 = h;
      }
    } else if (!r.raw().contains("token_sha256")) {
      d.add(r.where(), fmt::format("{}: 'token_sha256' is required", r.name()));
    }
    r.finish();
    out->receivers.push_back(std::move(rec));
  }
  return out;
}

std::unique_ptr<Source> make_ingest(const SourceConfig& c, const SourceContext& ctx) {
  return std::make_unique<IngestSource>(c, ingest_db_path(c, ctx.config), ctx.counters_from);
}

}  // namespace

extern const SourceType kIngestSourceType{
    "ingest",
    "webhook signature verification counters pushed by receivers to POST /v1/verifications",
    parse_ingest,
    make_ingest,
};

}  // namespace complyd
