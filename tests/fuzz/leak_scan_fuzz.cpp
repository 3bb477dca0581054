// SPDX-License-Identifier: Apache-2.0
// Leak-scan's patterns (checks/leak_patterns.hpp) and the log redaction
// (daemon/log/redact.hpp) over arbitrary bytes. The text is scanned whole
// and in two chunks cut at a line end, as the files source reads a large
// file: both must find the same hits. A registered secret never survives
// redaction.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "checks/leak_patterns.hpp"
#include "daemon/log/redact.hpp"

namespace {

constexpr std::string_view kFuzzSecret = "s3cr3t-Fuzz-Value-9f2b";

std::set<std::pair<std::size_t, int>> where(const std::vector<complyd::LeakHit>& hits) {
  std::set<std::pair<std::size_t, int>> out;
  for (const auto& h : hits) out.emplace(h.line, static_cast<int>(h.kind));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace complyd;
  static const bool registered = [] {
    register_secret(kFuzzSecret);
    return true;
  }();
  (void)registered;
  if (size == 0) return 0;
  // The first byte: whether the file is a log (e-mail addresses) and which
  // name it has (an environment file is a hit of its own).
  const std::uint8_t flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  LeakScanOptions opts;
  opts.is_log = flags & 1;
  if (flags & 2) opts.ignore_email_domains = {"example.org"};
  const std::string file = (flags & 4) ? "/srv/app/.env" : "/var/log/worker.log";
  (void)env_file_hit(file);
  (void)is_log_path(text.substr(0, 256));

  const auto whole = scan_text(text, file, 1, opts);
  const auto cut = text.find('\n', text.size() / 2);
  if (cut != std::string_view::npos && cut + 1 < text.size()) {
    LeakPending pending;
    auto first = scan_text(text.substr(0, cut + 1), file, 1, opts, pending);
    std::size_t lines = 0;
    for (std::size_t i = 0; i <= cut; ++i) lines += text[i] == '\n';
    const auto second = scan_text(text.substr(cut + 1), file, 1 + lines, opts, pending);
    first.insert(first.end(), second.begin(), second.end());
    if (where(first) != where(whole)) std::abort();
  }

  const std::string redacted = redact(text);
  if (redacted.find(kFuzzSecret) != std::string::npos) std::abort();
  return 0;
}
