// SPDX-License-Identifier: Apache-2.0
#include "daemon/app/reload_status.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "daemon/util/bounded_file.hpp"

namespace complyd {

namespace fs = std::filesystem;

fs::path reload_status_path(const fs::path& state_db) { return fs::path(state_db.string() + ".reload"); }

bool write_reload_status(const fs::path& file, const ReloadStatus& s) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << fmt::format("complyd-reload 1\n{} {} {}\n{}", s.pid, s.generation, s.ok ? "ok" : "refused", s.message);
    if (!out.flush()) return false;
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  return !ec;
}

std::optional<ReloadStatus> read_reload_status(const fs::path& file) {
  std::string error;
  auto text = read_bounded_file(file, kMaxConfigBytes, error);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string magic, result;
  ReloadStatus s;
  if (!std::getline(in, magic) || magic != "complyd-reload 1") return std::nullopt;
  if (!(in >> s.pid >> s.generation >> result) || (result != "ok" && result != "refused")) return std::nullopt;
  s.ok = result == "ok";
  in.ignore(1);  // the line break
  s.message.assign(std::istreambuf_iterator<char>(in), {});
  return s;
}

}  // namespace complyd
