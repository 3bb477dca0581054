// SPDX-License-Identifier: Apache-2.0
#include "daemon/report/exports.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "checks/registry.hpp"
#include "daemon/util/version.hpp"
#include "model/mutelist.hpp"

namespace complyd {

namespace {

std::int64_t epoch_ms(Time t) { return to_unix(t) * 1000; }

// OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
std::pair<int, const char*> ocsf_severity(Severity s) {
  switch (s) {
    case Severity::info: return {1, "Informational"};
    case Severity::low: return {2, "Low"};
    case Severity::medium: return {3, "Medium"};
    case Severity::high: return {4, "High"};
    case Severity::critical: return {5, "Critical"};
  }
  return {0, "Unknown"};
}

// The framework references of a check: its standards and "standard reference" lines.
void frameworks_of(const std::string& check_id, std::vector<std::string>& standards,
                   std::vector<std::string>& requirements) {
  const CheckDef* def = find_check(check_id);
  if (def == nullptr) return;
  for (const auto& ref : def->info.frameworks) {
    if (std::find(standards.begin(), standards.end(), ref.framework) == standards.end()) {
      standards.push_back(ref.framework);
    }
    requirements.push_back(fmt::format("{} {}", ref.framework, ref.reference));
  }
}

}  // namespace

nlohmann::json ocsf_event(const StoredFinding& f, Time evaluated_at) {
  // A finding seen for the first time is created; resolved, it is closed;
  // anything else updates what an earlier event created.
  const int activity = f.status == FindingStatus::resolved ? 3 : f.first_seen == f.last_seen ? 1 : 2;
  const char* activity_name = activity == 1 ? "Create" : activity == 2 ? "Update" : "Close";
  // Finding status_id: 1 New, 3 Suppressed (muted), 4 Resolved.
  const int status = f.status == FindingStatus::muted ? 3 : f.status == FindingStatus::resolved ? 4 : 1;
  const char* status_name = status == 3 ? "Suppressed" : status == 4 ? "Resolved" : "New";
  const auto [severity_id, severity_name] = ocsf_severity(f.severity);

  std::vector<std::string> standards, requirements;
  frameworks_of(f.check_id, standards, requirements);
  const CheckDef* def = find_check(f.check_id);
  if (standards.empty()) standards.push_back("complyd integration security checklist");
  // The check's verdict on this subject: it failed unless it no longer sees it.
  const bool passed = f.status == FindingStatus::resolved;
  nlohmann::json compliance{{"standards", standards},
                            {"control", f.check_id},
                            {"status_id", passed ? 1 : 3},
                            {"status", passed ? "Pass" : "Fail"}};
  if (!requirements.empty()) compliance["requirements"] = requirements;

  std::string remediation = f.remediation;
  if (remediation.empty() && def != nullptr) remediation = def->info.remediation;
  nlohmann::json finding_info{{"uid", f.id},
                              {"title", f.title},
                              {"types", nlohmann::json::array({f.check_id})},
                              {"created_time", epoch_ms(f.first_seen)},
                              {"first_seen_time", epoch_ms(f.first_seen)},
                              {"last_seen_time", epoch_ms(f.last_seen)}};
  if (!f.detail.empty()) finding_info["desc"] = f.detail;

  nlohmann::json resource{{"uid", f.customer_id.empty() ? f.subject : f.customer_id + "/" + f.subject},
                          {"name", f.subject},
                          {"type", f.customer_id.empty() ? "integration" : "customer"}};
  if (!f.customer_id.empty()) resource["group"] = {{"uid", f.customer_id}, {"name", f.customer_id}};

  nlohmann::json e{{"activity_id", activity},
                   {"activity_name", activity_name},
                   {"category_uid", kOcsfCategoryUid},
                   {"category_name", "Findings"},
                   {"class_uid", kOcsfClassUid},
                   {"class_name", "Compliance Finding"},
                   {"type_uid", kOcsfClassUid * 100 + activity},
                   {"type_name", fmt::format("Compliance Finding: {}", activity_name)},
                   {"severity_id", severity_id},
                   {"severity", severity_name},
                   {"status_id", status},
                   {"status", status_name},
                   {"time", epoch_ms(evaluated_at)},
                   {"message", f.title},
                   {"metadata",
                    {{"version", kOcsfVersion},
                     {"product", {{"name", "complyd"}, {"vendor_name", "complyd"}, {"version", kVersion}}},
                     {"log_name", "findings"}}},
                   {"finding_info", std::move(finding_info)},
                   {"compliance", std::move(compliance)},
                   {"remediation", {{"desc", remediation}}},
                   {"resources", nlohmann::json::array({std::move(resource)})}};
  if (f.status == FindingStatus::resolved && f.resolved_at) e["end_time"] = epoch_ms(*f.resolved_at);
  if (f.status == FindingStatus::muted) {
    // Who is behind the mute, and until when: a person, or a mutelist rule.
    const std::string by = f.muted_by.value_or("");
    const auto rule = mutelist_rule_id(by);
    e["status_detail"] = fmt::format("muted by {}{}: {}", rule ? "mutelist rule " + *rule : by,
                                     f.muted_until ? " until " + format_time(*f.muted_until) : std::string(),
                                     f.mute_reason.value_or(""));
  }
  nlohmann::json unmapped{{"check_id", f.check_id}, {"customer_id", f.customer_id}, {"status", to_string(f.status)}};
  try {
    auto ev = nlohmann::json::parse(f.evidence_json);
    if (ev.is_object() && !ev.empty()) unmapped["evidence"] = std::move(ev);
  } catch (const nlohmann::json::exception&) {
    unmapped["evidence"] = {{"unreadable", "the stored evidence of this finding cannot be read"}};
  }
  if (f.status == FindingStatus::muted) {
    unmapped["muted_by"] = f.muted_by.value_or("");
    if (f.muted_until) unmapped["muted_until"] = format_time(*f.muted_until);
  }
  e["unmapped"] = std::move(unmapped);
  return e;
}

void write_ocsf_lines(std::ostream& out, const std::vector<StoredFinding>& findings, Time evaluated_at) {
  for (const auto& f : findings) out << ocsf_event(f, evaluated_at).dump() << '\n';
}

namespace {

// SARIF levels: error, warning, note.
const char* sarif_level(Severity s) {
  switch (s) {
    case Severity::critical:
    case Severity::high: return "error";
    case Severity::medium: return "warning";
    default: return "note";
  }
}

// A leak-scan subject: "<file>:<line> (<kind>)", "<file> (<kind>)" or "<file> (more)".
struct FileLocation {
  std::string file;
  int line = 0;
};
std::optional<FileLocation> file_location(const StoredFinding& f) {
  if (f.check_id != "leak-scan") return std::nullopt;
  static const RE2 with_line(R"((.+):([0-9]+) \([a-z_]+\))");
  static const RE2 without_line(R"((.+) \([a-z_]+\))");
  FileLocation loc;
  if (RE2::FullMatch(f.subject, with_line, &loc.file, &loc.line)) return loc;
  if (RE2::FullMatch(f.subject, without_line, &loc.file)) return loc;
  return std::nullopt;
}

// An absolute path as a file: URI, a relative one (a relative [files] path)
// as a relative reference; percent-encoding what a URI may not hold.
std::string file_uri(const std::string& path) {
  std::string out = path.starts_with('/') ? "file://" : "";
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

nlohmann::json sarif_log(const std::vector<StoredFinding>& findings) {
  // Rules: every check of the catalogue that reports file locations, so a
  // result's ruleIndex is stable whatever the findings.
  nlohmann::json rules = nlohmann::json::array();
  std::map<std::string, int> rule_index;
  for (const CheckDef* def : all_checks()) {
    if (def->info.id != "leak-scan") continue;
    std::vector<std::string> tags{"security", "compliance"};
    for (const auto& ref : def->info.frameworks) tags.push_back(fmt::format("{} {}", ref.framework, ref.reference));
    rule_index[def->info.id] = static_cast<int>(rules.size());
    rules.push_back({{"id", def->info.id},
                     {"name", def->info.id},
                     {"shortDescription", {{"text", def->info.title}}},
                     {"fullDescription", {{"text", def->info.rationale}}},
                     {"help", {{"text", def->info.remediation}}},
                     {"defaultConfiguration", {{"level", sarif_level(def->info.default_severity)}}},
                     {"properties", {{"tags", tags}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : findings) {
    if (f.status == FindingStatus::resolved) continue;
    const auto loc = file_location(f);
    if (!loc) continue;
    nlohmann::json physical{{"artifactLocation", {{"uri", file_uri(loc->file)}}}};
    if (loc->line > 0) physical["region"] = {{"startLine", loc->line}};
    // The masked excerpt stays out: the title and the line are enough to find it.
    nlohmann::json r{{"ruleId", f.check_id},
                     {"ruleIndex", rule_index.at(f.check_id)},
                     {"level", sarif_level(f.severity)},
                     {"message", {{"text", fmt::format("{}: {}", f.title, f.remediation)}}},
                     {"locations", nlohmann::json::array({nlohmann::json{{"physicalLocation", std::move(physical)}}})},
                     // The finding id is a hash of check, customer and subject: the
                     // same leak keeps it across runs and machines.
                     {"partialFingerprints", {{"complydFindingId/v1", f.id}}},
                     {"properties", {{"severity", to_string(f.severity)}, {"findingId", f.id}}}};
    if (f.status == FindingStatus::muted) {
      r["suppressions"] = nlohmann::json::array(
          {nlohmann::json{{"kind", "external"},
                          {"status", "accepted"},
                          {"justification",
                           fmt::format("muted by {}: {}", f.muted_by.value_or(""), f.mute_reason.value_or(""))}}});
    }
    results.push_back(std::move(r));
  }
  nlohmann::json driver{{"name", "complyd"}, {"version", kVersion}, {"semanticVersion", kVersion},
                        {"rules", std::move(rules)}};
  nlohmann::json run{{"tool", {{"driver", std::move(driver)}}},
                     {"columnKind", "unicodeCodePoints"},
                     {"results", std::move(results)}};
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", nlohmann::json::array({std::move(run)})}};
}

}  // namespace complyd
