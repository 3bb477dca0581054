// SPDX-License-Identifier: Apache-2.0
// The e-mail templates' inputs: a context (JSON, as the planner builds it
// from findings and inventory values) rendered by every compiled-in template
// and built into the MIME message that goes out (daemon/notify/). Values
// must never break out: no line break in a subject, no header line the
// message builder did not write, no unescaped markup in the HTML part.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/notify/mime.hpp"
#include "daemon/notify/templates.hpp"
#include "model/time.hpp"

namespace {

bool header_line_ok(std::string_view line) {
  if (line.empty()) return false;
  if (line.front() == ' ' || line.front() == '\t') return true;  // a folded continuation
  for (std::string_view name : {"From:", "To:", "Subject:", "Date:", "Message-ID:", "MIME-Version:",
                                "Content-Type:", "Auto-Submitted:", "X-Auto-Response-Suppress:"}) {
    if (line.starts_with(name)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace complyd;
  static const notify::Templates templates = notify::Templates::load({});
  const auto context = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (context.is_discarded()) return 0;
  for (const std::string name : {"digest", "reminder", "escalation", "mutelist"}) {
    notify::Rendered r;
    try {
      r = templates.render(name, context);
    } catch (const std::exception&) {
      continue;  // a context the template cannot render is the planner's error, reported as such
    }
    if (r.subject.find_first_of("\r\n") != std::string::npos) std::abort();
    if (r.html.find("<fuzz") != std::string::npos) std::abort();  // "<" from a value is escaped
    notify::MimeMessage m;
    m.from = "complyd@example.org";
    m.to = {"ops@example.org"};
    m.subject = r.subject;
    m.text = r.text;
    m.html = r.html;
    m.date = *parse_time("2026-11-22T10:00:00Z");
    m.message_id = notify::make_message_id("fuzz", m.from);
    const std::string msg = notify::build_mime(m);
    const auto end = msg.find("\r\n\r\n");
    if (end == std::string::npos) std::abort();
    std::string_view headers(msg.data(), end);
    while (!headers.empty()) {
      const auto eol = headers.find("\r\n");
      if (!header_line_ok(headers.substr(0, eol))) std::abort();
      headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
    }
  }
  return 0;
}
