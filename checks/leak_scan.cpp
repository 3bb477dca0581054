// SPDX-License-Identifier: Apache-2.0
// leak-scan: secrets, card numbers and donor e-mail addresses found in the
// configured files and log directories. The files source runs the detector
// (checks/leak_patterns.cpp) on the bytes it reads; this check turns its hits
// into one finding per (file, line, kind).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "checks/check.hpp"
#include "checks/leak_patterns.hpp"

namespace complyd {
namespace {

struct KindText {
  Severity severity;  // before the configured severity caps it
  const char* title;
  const char* what;  // "a bearer token", for the detail sentence
  const char* why;   // the consequence, ending the detail sentence
  const char* remediation;
};

KindText text_for(LeakKind k) {
  switch (k) {
    case LeakKind::bearer_token:
      return {Severity::critical, "bearer token in file", "a bearer token",
              "anyone who can read the file can call the API with it",
              "Treat the token as compromised: rotate it now, purge the line from the file and from every copy "
              "(shipped logs, backups), and make the logging framework redact Authorization headers."};
    case LeakKind::token_assignment:
      return {Severity::critical, "secret value in file", "a secret-looking value assigned to a credential key",
              "anyone who can read the file can use it",
              "Treat the value as compromised: rotate the credential, move it into the secrets manager, purge it "
              "from the file and its copies, and redact credential fields at the logging-framework level."};
    case LeakKind::private_key:
      return {Severity::critical, "private key in file", "a private key",
              "anyone who can read the file can impersonate its owner or decrypt what it protects",
              "Revoke and replace the key pair, delete the key from this tree and from backups, and keep keys "
              "only in the secrets manager."};
    case LeakKind::env_file:
      return {Severity::high, ".env file in scanned tree", "an environment (.env) file",
              "such files hold credentials outside the secrets manager and end up in copies and commits",
              "Move the values into the secrets manager, delete the .env file from the deployed tree and from "
              "version control (add it to .gitignore), and rotate any credential it held."};
    case LeakKind::card_number:
      return {Severity::critical, "card number in file", "a Luhn-valid payment card number (PAN)",
              "stored card data puts the integration in PCI DSS scope",
              "Raw card data must never be stored: purge it from the file and every copy, find and fix the code "
              "path that wrote it, let the platform tokenize cards, and review the PCI DSS scope decision."};
    case LeakKind::donor_email:
      return {Severity::medium, "donor e-mail address in log", "a raw e-mail address",
              "a donor's address in a log is personal data outside its access controls and retention",
              "Log donors by a stable identifier (contact id) instead of their e-mail address, remove or "
              "anonymise the affected log lines within the retention window, and fix the logging statement."};
  }
  return {Severity::medium, "leak in file", "a secret-looking value", "anyone who can read the file can see it",
          "Remove the value from the file."};
}

Severity capped(Severity kind_default, Severity configured) {
  return static_cast<int>(kind_default) < static_cast<int>(configured) ? kind_default : configured;
}

std::string where(const LeakHit& h) {
  return h.line == 0 ? h.file : fmt::format("{}:{}", h.file, h.line);
}

std::vector<Finding> evaluate(const CheckContext& ctx, const LeakScanParams& params) {
  std::vector<Finding> out;
  const auto max_per_file = static_cast<std::size_t>(std::max<std::int64_t>(1, params.max_findings_per_file));

  // Per file, in line order; duplicates of (file, line, kind) merged.
  std::map<std::string, std::map<std::pair<std::size_t, LeakKind>, LeakHit>> by_file;
  for (const auto& h : ctx.facts.leak_hits) {
    auto [it, inserted] = by_file[h.file].try_emplace({h.line, h.kind}, h);
    if (!inserted) it->second.occurrences += h.occurrences;
  }

  for (const auto& [file, hits] : by_file) {
    std::size_t emitted = 0;
    std::map<LeakKind, std::size_t> overflow;
    Severity overflow_severity = Severity::info;
    for (const auto& [key, h] : hits) {
      const KindText t = text_for(h.kind);
      const Severity sev = capped(t.severity, ctx.severity);
      if (emitted >= max_per_file) {
        ++overflow[h.kind];
        if (static_cast<int>(sev) > static_cast<int>(overflow_severity)) overflow_severity = sev;
        continue;
      }
      ++emitted;
      Finding f;
      f.severity = sev;
      // The kind is part of the subject: two kinds on one line are two findings.
      f.subject = fmt::format("{} ({})", where(h), to_string(h.kind));
      f.title = t.title;
      f.detail = h.line == 0 ? fmt::format("{} is {} inside a scanned tree; {}.", h.file, t.what, t.why)
                             : fmt::format("Line {} of {} contains {}, masked here as {}; {}.", h.line, h.file,
                                           t.what, h.excerpt, t.why);
      f.remediation = t.remediation;
      f.evidence.emplace_back("file", h.file);
      if (h.line != 0) f.evidence.emplace_back("line", std::to_string(h.line));
      f.evidence.emplace_back("kind", to_string(h.kind));
      f.evidence.emplace_back("excerpt", h.excerpt);
      if (h.value_length != 0) f.evidence.emplace_back("value_length", std::to_string(h.value_length));
      if (h.occurrences > 1) f.evidence.emplace_back("occurrences", std::to_string(h.occurrences));
      out.push_back(std::move(f));
    }
    if (!overflow.empty()) {
      std::size_t more = 0;
      std::string kinds;
      for (const auto& [k, n] : overflow) {
        more += n;
        kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, to_string(k));
      }
      Finding f;
      f.severity = overflow_severity;
      f.subject = fmt::format("{} (more)", file);
      f.title = "more leaks in file than listed";
      f.detail = fmt::format("{} has {} further leak line(s) ({}) beyond the {} listed individually.", file, more,
                             kinds, max_per_file);
      f.remediation = "Rotate what leaked, then purge or rotate the file: it is rescanned from the start and "
                      "every remaining line is listed.";
      f.evidence.emplace_back("file", file);
      f.evidence.emplace_back("further_lines", std::to_string(more));
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace

const CheckDef& leak_scan_check() {
  static const CheckDef def = make_check<LeakScanParams>(
      CheckInfo{
          .id = "leak-scan",
          .title = "No secrets, card numbers or donor e-mail addresses in files and logs",
          .default_severity = Severity::critical,
          .checklist_items = {"Raise API tokens stored in a secrets manager, never in code or environment files",
                              "Logging framework includes credential redaction by default",
                              "No raw card data ever stored on the partner side",
                              "Log only non-sensitive metadata"},
          .rationale = "Logs and stray files are the common way credentials and donor data escape: a token in a "
                       "log line is usable by everyone who can read the log, a card number puts the integration "
                       "in PCI scope, and a donor's e-mail in a log is personal data outside its retention.",
          .remediation = "Rotate what leaked, purge it from the file and its copies, and fix the code or "
                         "deployment that wrote it.",
          .frameworks = {{"SOC 2", "CC6.1"},
                         {"SOC 2", "CC6.7"},
                         {"PCI DSS v4.0", "3.5.1"},
                         {"PCI DSS v4.0", "8.3.2"},
                         {"GDPR", "Art. 5(1)(c)"},
                         {"GDPR", "Art. 32"}},
          .needs = {FactKind::file_scans},
          .kind = FindingKind::incident,
      },
      {{.name = "min_entropy_bits_per_char",
        .member = &LeakScanParams::min_entropy_bits_per_char,
        .description = "Shannon entropy (bits per character) a token or assignment value needs to count as a secret",
        .min = 0.0,
        .max = 8.0},
       {.name = "min_value_length",
        .member = &LeakScanParams::min_value_length,
        .description = "Shortest token or assignment value that counts as a secret",
        .min = 4,
        .max = 4096},
       {.name = "ignore_email_domains",
        .member = &LeakScanParams::ignore_email_domains,
        .description = "E-mail domains (and subdomains) that are not donors' in logs, "
                       "e.g. the partner's own staff domain"},
       {.name = "max_findings_per_file",
        .member = &LeakScanParams::max_findings_per_file,
        .description = "Findings listed per file; further hits are summarised in one finding",
        .min = 1,
        .max = 100000}},
      evaluate);
  return def;
}

const LeakScanParams& leak_scan_params(const CheckConfigs& checks) {
  return configured_params<LeakScanParams>(checks, leak_scan_check());
}

}  // namespace complyd
