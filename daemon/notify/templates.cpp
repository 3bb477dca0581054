// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/templates.hpp"

#include <fmt/format.h>

#include <fstream>
#include <kainjow/mustache.hpp>
#include <sstream>
#include <stdexcept>

#include "daemon/util/bounded_file.hpp"

namespace complyd::embedded {
extern const std::string_view template_digest_subject, template_digest_txt, template_digest_html;
extern const std::string_view template_reminder_subject, template_reminder_txt, template_reminder_html;
extern const std::string_view template_escalation_subject, template_escalation_txt, template_escalation_html;
extern const std::string_view template_mutelist_subject, template_mutelist_txt, template_mutelist_html;
}  // namespace complyd::embedded

namespace complyd::notify {

namespace {

namespace mus = kainjow::mustache;

mus::data to_data(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mus::data d{mus::data::type::object};
      for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
      return d;
    }
    case nlohmann::json::value_t::array: {
      mus::data d{mus::data::type::list};
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case nlohmann::json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      // An empty string is falsy, so {{#remediation}} sections can test it.
      return s.empty() ? mus::data{false} : mus::data{s};
    }
    case nlohmann::json::value_t::boolean: return mus::data{j.get<bool>()};
    case nlohmann::json::value_t::null: return mus::data{false};
    default: return mus::data{j.dump()};
  }
}

// Header and text parts: no HTML escaping, and no line breaks in a subject.
std::string render_part(const std::string& src, const mus::data& d, bool html) {
  mus::mustache t{src};
  if (!t.is_valid()) throw std::runtime_error(t.error_message());
  if (!html) t.set_custom_escape([](const std::string& s) { return s; });
  return t.render(d);
}

}  // namespace

const std::vector<std::string>& Templates::names() {
  static const std::vector<std::string> n{"digest", "reminder", "escalation"};
  return n;
}

Templates Templates::load(const std::filesystem::path& dir, std::vector<std::string>* problems) {
  Templates t;
  using namespace complyd::embedded;
  t.parts_ = {{"digest.subject", std::string(template_digest_subject)},
              {"digest.txt", std::string(template_digest_txt)},
              {"digest.html", std::string(template_digest_html)},
              {"reminder.subject", std::string(template_reminder_subject)},
              {"reminder.txt", std::string(template_reminder_txt)},
              {"reminder.html", std::string(template_reminder_html)},
              {"escalation.subject", std::string(template_escalation_subject)},
              {"escalation.txt", std::string(template_escalation_txt)},
              {"escalation.html", std::string(template_escalation_html)},
              {"mutelist.subject", std::string(template_mutelist_subject)},
              {"mutelist.txt", std::string(template_mutelist_txt)},
              {"mutelist.html", std::string(template_mutelist_html)}};
  if (dir.empty()) return t;
  for (auto& [part, src] : t.parts_) {
    const auto file = dir / (part + ".mustache");
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(file, ec))) continue;  // the built-in one
    std::string error;
    auto text = read_bounded_file(file, kMaxTemplateBytes, error);
    if (!text) {
      if (problems != nullptr) problems->push_back(error + "; the built-in template is used");
      continue;
    }
    mus::mustache check{*text};
    if (!check.is_valid()) {
      if (problems != nullptr) {
        problems->push_back(fmt::format("{}: {}; the built-in template is used", file.string(), check.error_message()));
      }
      continue;
    }
    src = std::move(*text);
  }
  return t;
}

Rendered Templates::render(const std::string& name, const nlohmann::json& context) const {
  auto part = [&](const char* p) -> const std::string& {
    auto it = parts_.find(name + "." + p);
    if (it == parts_.end()) throw std::invalid_argument(fmt::format("no template named '{}'", name));
    return it->second;
  };
  const mus::data d = to_data(context);
  Rendered r;
  r.subject = render_part(part("subject"), d, false);
  for (auto& c : r.subject) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  r.text = render_part(part("txt"), d, false);
  r.html = render_part(part("html"), d, true);
  return r;
}

}  // namespace complyd::notify
