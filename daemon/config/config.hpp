// The typed configuration. Loaded from TOML, validated in full (every problem
// reported as file:line:column), then read-only for the rest of the process.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checks/check.hpp"
#include "daemon/log/log.hpp"

namespace complyd {

inline constexpr const char* kDefaultConfigPath = "/etc/complyd/complyd.toml";

struct ScheduleConfig {
  Duration interval{3600};
  Duration jitter{0};
};

struct InventoryConfig {
  std::filesystem::path path;  // embedded default source
  Duration busy_timeout{5};
};

struct SmtpConfig {
  std::string url;  // smtp:// or smtps://; empty: e-mail disabled
  std::string from;
  std::string tls = "starttls";  // starttls | tls | none
  std::string username;
  std::filesystem::path password_file;
  std::filesystem::path ca_file;
  Duration connect_timeout{10};
  Duration timeout{60};
};

// [files]: where leak-scan looks. Absent: no file is scanned.
struct FilesConfig {
  std::vector<std::filesystem::path> paths;  // files or directories (absolute, resolved against the config file)
  std::vector<std::string> exclude;          // globs: on the name, or on the path when the glob has a '/'
  std::vector<std::string> log_globs;        // extra globs classed as logs (besides *.log and log/ logs/ dirs)
  std::int64_t max_bytes_per_cycle = std::int64_t{64} << 20;
};

struct CheckConfig {
  bool enabled = true;
  Severity severity = Severity::medium;
  Params params;
};

struct Config {
  std::filesystem::path source_file;  // the TOML file this came from
  std::filesystem::path state_db = "/var/lib/complyd/state.db";
  Severity fail_on = Severity::low;
  log::Level log_level = log::Level::info;
  ScheduleConfig schedule;
  InventoryConfig inventory;
  SmtpConfig smtp;
  std::optional<FilesConfig> files;
  std::map<std::string, CheckConfig> checks;  // every registered check, defaults filled in
};

struct ConfigDiagnostic {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
  std::string to_string() const;  // file:line:column: message
};

struct ConfigResult {
  std::optional<Config> config;
  std::vector<ConfigDiagnostic> problems;
  bool ok() const { return config.has_value() && problems.empty(); }
};

ConfigResult load_config(const std::filesystem::path& file);
ConfigResult parse_config(std::string_view toml_text, const std::filesystem::path& file_for_messages);

}  // namespace complyd
