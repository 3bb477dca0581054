// SPDX-License-Identifier: Apache-2.0
#include "daemon/report/findings_doc.hpp"

#include <fmt/format.h>

#include <map>

#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/report/json_text.hpp"
#include "model/time.hpp"

namespace complyd {

namespace {
nlohmann::json opt_time(const std::optional<Time>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

// A broken row loses only itself, and says so: never an empty (clean) object.
nlohmann::json stored_evidence(const StoredFinding& f) {
  try {
    auto j = nlohmann::json::parse(f.evidence_json);
    if (j.is_object()) return j;
  } catch (const nlohmann::json::exception&) {
  }
  CLOG(error) << "state database: the evidence of finding " << f.id << " cannot be read";
  return {{"unreadable", "the stored evidence of this finding cannot be read"}};
}

}  // namespace

nlohmann::json finding_to_json(const StoredFinding& f) {
  nlohmann::json evidence = stored_evidence(f);
  return {{"id", f.id},
          {"check_id", f.check_id},
          {"severity", to_string(f.severity)},
          {"status", to_string(f.status)},
          {"customer_id", f.customer_id},
          {"subject", f.subject},
          {"title", f.title},
          {"detail", f.detail},
          {"remediation", f.remediation},
          {"evidence", evidence},
          {"first_seen", format_time(f.first_seen)},
          {"last_seen", format_time(f.last_seen)},
          {"resolved_at", opt_time(f.resolved_at)},
          {"muted_until", opt_time(f.muted_until)},
          {"mute_reason", f.mute_reason ? nlohmann::json(*f.mute_reason) : nlohmann::json(nullptr)},
          {"muted_by", f.muted_by ? nlohmann::json(*f.muted_by) : nlohmann::json(nullptr)}};
}

namespace {

void put_opt_time(std::string& out, const std::optional<Time>& t) {
  if (t) json_text::put_string(out, format_time(*t)); else out += "null";
}

void put_opt_string(std::string& out, const std::optional<std::string>& v) {
  if (v) json_text::put_string(out, *v); else out += "null";
}

void append_finding_json(std::string& out, const StoredFinding& f) {
  using json_text::put_string;
  out += "{\"check_id\":";
  put_string(out, f.check_id);
  out += ",\"customer_id\":";
  put_string(out, f.customer_id);
  out += ",\"detail\":";
  put_string(out, f.detail);
  out += ",\"evidence\":";
  if (json_text::canonical_string_object(f.evidence_json)) {
    out += f.evidence_json;
  } else {
    out += stored_evidence(f).dump();
  }
  out += ",\"first_seen\":";
  put_string(out, format_time(f.first_seen));
  out += ",\"id\":";
  put_string(out, f.id);
  out += ",\"last_seen\":";
  put_string(out, format_time(f.last_seen));
  out += ",\"mute_reason\":";
  put_opt_string(out, f.mute_reason);
  out += ",\"muted_by\":";
  put_opt_string(out, f.muted_by);
  out += ",\"muted_until\":";
  put_opt_time(out, f.muted_until);
  out += ",\"remediation\":";
  put_string(out, f.remediation);
  out += ",\"resolved_at\":";
  put_opt_time(out, f.resolved_at);
  out += ",\"severity\":";
  put_string(out, to_string(f.severity));
  out += ",\"status\":";
  put_string(out, to_string(f.status));
  out += ",\"subject\":";
  put_string(out, f.subject);
  out += ",\"title\":";
  put_string(out, f.title);
  out += '}';
}

nlohmann::json document_head(const std::vector<StoredFinding>& findings, const std::optional<CycleRecord>& cycle,
                             Time generated_at) {
  nlohmann::json doc;
  doc["schema_version"] = kFindingsSchemaVersion;
  doc["generated_at"] = format_time(generated_at);
  if (cycle) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& s : cycle->sources) {
      sources.push_back({{"name", s.name},
                         {"type", s.type},
                         {"ok", s.ok},
                         {"error", s.ok ? nlohmann::json(nullptr) : nlohmann::json(redact(s.error))},
                         {"rows", s.rows},
                         {"rejected_rows", s.rejected_rows()}});
    }
    doc["cycle"] = {{"id", cycle->id},
                    {"started_at", format_time(cycle->started_at)},
                    {"finished_at", opt_time(cycle->finished_at)},
                    {"status", cycle->status},
                    {"checks_run", cycle->checks_run},
                    {"checks_skipped", cycle->checks_skipped},
                    {"opened", cycle->opened},
                    {"reopened", cycle->reopened},
                    {"resolved", cycle->resolved},
                    {"sources", sources}};
  } else {
    doc["cycle"] = nullptr;
  }
  nlohmann::json by_sev = nlohmann::json::object();
  for (auto s : {Severity::critical, Severity::high, Severity::medium, Severity::low, Severity::info})
    by_sev[to_string(s)] = 0;
  int open = 0, muted = 0;
  for (const auto& f : findings) {
    if (f.status == FindingStatus::open) {
      ++open;
      by_sev[to_string(f.severity)] = by_sev[to_string(f.severity)].get<int>() + 1;
    } else if (f.status == FindingStatus::muted) {
      ++muted;
    }
  }
  doc["summary"] = {{"open", open}, {"muted", muted}, {"by_severity", by_sev}};
  return doc;
}
}  // namespace

nlohmann::json findings_document(const std::vector<StoredFinding>& findings, const std::optional<CycleRecord>& cycle,
                                 Time generated_at) {
  nlohmann::json doc = document_head(findings, cycle, generated_at);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : findings) list.push_back(finding_to_json(f));
  doc["findings"] = std::move(list);
  return doc;
}

void write_findings_document(std::ostream& out, const std::vector<StoredFinding>& findings,
                             const std::optional<CycleRecord>& cycle, Time generated_at) {
  const nlohmann::json head = document_head(findings, cycle, generated_at);
  out << "{\n";
  for (const char* key : {"schema_version", "generated_at", "cycle", "summary"}) {
    out << "  \"" << key << "\": " << head.at(key).dump() << ",\n";
  }
  out << "  \"findings\": [";
  // Written as text, as finding_to_json(f).dump() would write it (sorted
  // keys), in blocks: a tree per finding cost more than the whole audit.
  std::string buf;
  bool first = true;
  for (const auto& f : findings) {
    buf += first ? "\n    " : ",\n    ";
    append_finding_json(buf, f);
    first = false;
    if (buf.size() > (1 << 16)) {
      out << buf;
      buf.clear();
    }
  }
  out << buf << (first ? "]\n}\n" : "\n  ]\n}\n");
}

std::string findings_text(const std::vector<StoredFinding>& findings) {
  std::string out;
  if (findings.empty()) return "no findings match\n";
  out += fmt::format("{:<17} {:<9} {:<8} {:<26} {:<14} {}\n", "ID", "SEVERITY", "STATUS", "CHECK", "CUSTOMER",
                     "SUBJECT");
  for (const auto& f : findings) {
    out += fmt::format("{:<17} {:<9} {:<8} {:<26} {:<14} {}\n", f.id, to_string(f.severity), to_string(f.status),
                       f.check_id, f.customer_id.empty() ? "-" : f.customer_id, f.subject);
    out += fmt::format("    {}\n", f.detail);
    if (f.status == FindingStatus::muted && f.muted_until) {
      out += fmt::format("    muted until {} by {}: {}\n", format_time(*f.muted_until), f.muted_by.value_or("?"),
                         f.mute_reason.value_or(""));
    }
  }
  return out;
}

std::string muted_findings_text(const std::vector<StoredFinding>& findings, const Mutelist& mutelist) {
  if (findings.empty()) return "no muted findings match\n";
  std::string out = fmt::format("{:<17} {:<26} {:<14} {:<20} {}\n", "ID", "CHECK", "CUSTOMER", "UNTIL", "SUBJECT");
  for (const auto& f : findings) {
    if (f.status != FindingStatus::muted) continue;
    out += fmt::format("{:<17} {:<26} {:<14} {:<20} {}\n", f.id, f.check_id, f.customer_id.empty() ? "-" : f.customer_id,
                       f.muted_until ? format_time(*f.muted_until) : "-", f.subject);
    std::string by;
    if (const auto rule_id = mutelist_rule_id(f.muted_by.value_or(""))) {
      const MuteRule* r = find_rule(mutelist, *rule_id);
      by = r != nullptr ? fmt::format("mutelist rule {} (owner {})", *rule_id, r->owner)
                        : fmt::format("mutelist rule {} (no longer in the mutelist; the next cycle unmutes it)", *rule_id);
    } else {
      by = f.muted_by.value_or("?");
    }
    out += fmt::format("    muted by {}: {}\n", by, f.mute_reason.value_or(""));
  }
  return out;
}

std::string cycle_summary_text(const CycleRecord& c, const std::vector<StoredFinding>& current, Severity fail_on) {
  std::string out;
  out += fmt::format("complyd audit, cycle {} ({}) at {}\n", c.id, c.status, format_time(c.started_at));
  for (const auto& s : c.sources) {
    out += s.ok ? fmt::format("  source {:<12} ok, {} rows{}\n", s.name, s.rows,
                              s.rejected_rows() == 0 ? "" : fmt::format(", {} rejected", s.rejected_rows()))
                : fmt::format("  source {:<12} FAILED: {}\n", s.name, redact(s.error));
  }
  out += fmt::format("  checks: {} run, {} skipped\n", c.checks_run, c.checks_skipped);
  out += fmt::format("  this cycle: {} opened, {} reopened, {} resolved\n", c.opened, c.reopened, c.resolved);

  std::map<int, std::map<std::string, int>> by;  // severity (desc) -> check -> count
  int open = 0, muted = 0;
  for (const auto& f : current) {
    if (f.status == FindingStatus::muted) {
      ++muted;
      continue;
    }
    if (f.status != FindingStatus::open) continue;
    ++open;
    ++by[-static_cast<int>(f.severity)][f.check_id];
  }
  out += fmt::format("open findings: {} ({} muted)\n", open, muted);
  for (const auto& [neg, checks] : by) {
    for (const auto& [check, n] : checks) {
      out += fmt::format("  {:<9} {:<28} {}\n", to_string(static_cast<Severity>(-neg)), check, n);
    }
  }
  const int failing = [&] {
    int n = 0;
    for (const auto& f : current)
      if (f.status == FindingStatus::open && static_cast<int>(f.severity) >= static_cast<int>(fail_on)) ++n;
    return n;
  }();
  if (failing > 0) {
    out += fmt::format("result: FAIL ({} open findings at or above {})\n", failing, to_string(fail_on));
  } else if (!c.error.empty()) {
    out += "result: FAIL (a check failed; see source-unavailable findings)\n";
  } else {
    out += fmt::format("result: pass (no open findings at or above {})\n", to_string(fail_on));
  }
  if (c.status != "ok") out += "warning: this cycle was partial; see source-unavailable findings\n";
  out += "details: complyd findings list\n";
  return out;
}

}  // namespace complyd
