// SPDX-License-Identifier: Apache-2.0
// E-mail templates: mustache (kainjow), compiled-in defaults from
// daemon/notify/templates/, overridable per file from smtp.templates_dir.
// Rendering is pure; only load() reads files.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace complyd::notify {

struct Rendered {
  std::string subject;
  std::string text;
  std::string html;
};

class Templates {
 public:
  // The compiled-in set, with NAME.{subject,txt,html}.mustache files from
  // `override_dir` (if not empty) replacing single parts. An override that
  // does not compile is reported in `problems` and the default kept.
  static Templates load(const std::filesystem::path& override_dir, std::vector<std::string>* problems = nullptr);
  static const std::vector<std::string>& names();  // digest, reminder, escalation

  // Subject and text unescaped, HTML escaped. Throws std::invalid_argument
  // for an unknown template name.
  Rendered render(const std::string& name, const nlohmann::json& context) const;

 private:
  std::map<std::string, std::string> parts_;  // "digest.txt" -> template source
};

}  // namespace complyd::notify
