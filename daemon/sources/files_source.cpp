// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/files_source.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <system_error>

#include "daemon/config/section.hpp"
#include "daemon/log/log.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {

namespace {

namespace fs = std::filesystem;

struct Candidate {
  std::string path;
  std::string rel;       // relative to its configured root (for globs with a '/')
  bool walked = true;    // found by walking a directory (false: configured as a file)
};

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

// A glob without '/' is matched against the name; one with '/' against the
// path relative to the configured root and against the full path.
bool glob_match(const std::vector<std::string>& globs, const std::string& name, const std::string& rel,
                const std::string& full) {
  for (const auto& g : globs) {
    if (g.find('/') == std::string::npos) {
      if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
    } else if (fnmatch(g.c_str(), rel.c_str(), 0) == 0 || fnmatch(g.c_str(), full.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

std::string name_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Depth-first, without following symbolic links (one could lead out of the
// tree, or loop). Directories that cannot be listed are problems, and are
// remembered so that what was known about their files is kept.
void walk(const fs::path& root, const FilesConfig& cfg, std::vector<Candidate>& out,
          std::vector<std::string>& unlisted, std::vector<std::string>& problems) {
  std::vector<fs::path> stack{root};
  while (!stack.empty()) {
    const fs::path dir = stack.back();
    stack.pop_back();
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      problems.push_back(fmt::format("{}: cannot list the directory ({})", dir.string(), ec.message()));
      unlisted.push_back(dir.string());
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code sec;
      const auto st = it->symlink_status(sec);
      if (sec) continue;  // vanished meanwhile
      const std::string full = p.string();
      const std::string rel = p.lexically_relative(root).string();
      if (glob_match(cfg.exclude, p.filename().string(), rel, full)) continue;
      if (fs::is_symlink(st)) continue;
      if (fs::is_directory(st)) {
        stack.push_back(p);
      } else if (fs::is_regular_file(st)) {
        out.push_back({full, rel, true});
      }
    }
    if (ec) {
      problems.push_back(fmt::format("{}: listing the directory stopped ({})", dir.string(), ec.message()));
      unlisted.push_back(dir.string());
    }
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Adds `more` (lines after those of `into`) to `into`, one hit per (line,
// kind), at most FilesSource::kMaxHitsPerFile.
void merge_hits(std::vector<LeakHit>& into, std::vector<LeakHit>&& more) {
  for (auto& h : more) {
    auto same = std::find_if(into.rbegin(), into.rend(), [&](const LeakHit& x) {
      return x.line == h.line && x.kind == h.kind;
    });
    if (same != into.rend()) {
      same->occurrences += h.occurrences;
    } else if (into.size() < FilesSource::kMaxHitsPerFile) {
      into.push_back(std::move(h));
    }
  }
}

bool is_gzip_name(const std::string& name) {
  return name.size() > 3 && (name.ends_with(".gz") || name.ends_with(".GZ"));
}

struct Inflated {
  bool ended = false;  // the whole stream was read
  std::string error;   // corrupt, truncated or unreadable; what came before it is in the output
};

// Inflates the gzip file `fd` (members concatenated, as `cat a.gz b.gz`
// makes, are one stream), skips the first `skip` decompressed bytes and
// appends at most `limit` more to `out`. zlib cannot seek: a file read over
// several cycles is inflated again up to where the last cycle stopped.
Inflated inflate_gzip(int fd, std::int64_t skip, std::int64_t limit, std::string& out) {
  Inflated r;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) {  // 15 + 32: gzip or zlib header, detected
    r.error = "zlib cannot start";
    return r;
  }
  std::unique_ptr<z_stream, int (*)(z_streamp)> guard(&zs, inflateEnd);
  std::vector<unsigned char> in(std::size_t{64} << 10), chunk(std::size_t{256} << 10);
  off_t pos = 0;
  bool input_eof = false, in_member = false;
  const auto want = static_cast<std::size_t>(limit);
  for (;;) {
    if (zs.avail_in == 0 && !input_eof) {
      const ssize_t n = ::pread(fd, in.data(), in.size(), pos);
      if (n < 0) {
        if (errno == EINTR) continue;
        r.error = fmt::format("read failed ({})", errno_text(errno));
        return r;
      }
      if (n == 0) {
        input_eof = true;
      } else {
        pos += n;
        zs.next_in = in.data();
        zs.avail_in = static_cast<uInt>(n);
      }
    }
    if (zs.avail_in == 0 && input_eof) {
      if (in_member) {
        r.error = "truncated gzip data";
      } else {
        r.ended = true;
      }
      return r;
    }
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      r.error = zs.msg != nullptr ? zs.msg : fmt::format("zlib error {}", rc);
      return r;
    }
    in_member = true;
    std::size_t produced = chunk.size() - zs.avail_out, off = 0;
    if (skip > 0) {
      off = static_cast<std::size_t>(std::min<std::int64_t>(skip, static_cast<std::int64_t>(produced)));
      skip -= static_cast<std::int64_t>(off);
    }
    const std::size_t take = std::min(produced - off, want - out.size());
    out.append(reinterpret_cast<const char*>(chunk.data()) + off, take);
    if (out.size() >= want) return r;
    if (rc == Z_STREAM_END) {
      inflateReset(&zs);  // another member may follow
      in_member = false;
    }
  }
}

}  // namespace

FilesSource::FilesSource(FilesConfig cfg, LeakScanOptions options, FileScanState* state, std::string name)
    : cfg_(std::move(cfg)),
      options_(std::move(options)),
      state_(state != nullptr ? state : &own_state_),
      name_(std::move(name)) {}

bool path_under(const std::string& path, const fs::path& root) {
  std::string r = root.string();
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (path == r) return true;
  if (r == "/") return path.starts_with('/');
  return path.size() > r.size() && path.starts_with(r) && path[r.size()] == '/';
}

bool FilesSource::owns(const std::string& path) const {
  return std::any_of(cfg_.paths.begin(), cfg_.paths.end(), [&](const fs::path& root) { return path_under(path, root); });
}

void FilesSource::collect(Facts& into, Time now, std::vector<std::string>& problems) {
  stats_ = {};
  // A configured path that is missing makes the whole scan unreliable: fail
  // (leak-scan keeps its findings) before reading anything.
  for (const auto& p : cfg_.paths) {
    std::error_code ec;
    const auto st = fs::status(p, ec);  // a symlinked root is followed: the operator chose it
    if (!fs::exists(st)) {
      throw SourceError(fmt::format("files path {} does not exist{}", p.string(),
                                    ec && ec != std::errc::no_such_file_or_directory ? " (" + ec.message() + ")" : ""));
    }
  }

  // The identities of complyd's own database files (their names first: only
  // a file with one of those names costs a stat() before it is skipped).
  std::map<std::string, std::vector<std::pair<dev_t, ino_t>>> own;
  for (const auto& db : own_databases_) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      const fs::path f = db.string() + suffix;
      struct stat st {};
      if (::stat(f.c_str(), &st) == 0) own[f.filename().string()].emplace_back(st.st_dev, st.st_ino);
    }
  }
  auto is_own = [&](const std::string& path, const std::string& name) {
    const auto it = own.find(name);
    if (it == own.end()) return false;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    return std::find(it->second.begin(), it->second.end(), std::pair{st.st_dev, st.st_ino}) != it->second.end();
  };

  std::vector<Candidate> files;
  std::vector<std::string> unlisted;
  for (const auto& p : cfg_.paths) {
    if (fs::is_directory(p)) {
      walk(p, cfg_, files, unlisted, problems);
    } else {
      files.push_back({p.string(), p.filename().string(), false});
    }
  }
  std::sort(files.begin(), files.end(), [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const Candidate& a, const Candidate& b) { return a.path == b.path; }),
              files.end());

  const FileScanState& prev = *state_;
  FileScanState next;
  std::int64_t budget = cfg_.max_bytes_per_cycle;
  LeakScanOptions log_options = options_, plain_options = options_;
  log_options.is_log = true;
  plain_options.is_log = false;

  auto keep_previous = [&](const std::string& path) {
    auto it = prev.find(path);
    if (it == prev.end()) return;
    into.leak_hits.insert(into.leak_hits.end(), it->second.hits.begin(), it->second.hits.end());
    next.emplace(path, it->second);
  };

  for (const auto& c : files) {
    const std::string name = name_of(c.path);
    if (is_own(c.path, name)) {
      ++stats_.own_databases;
      continue;
    }
    ++stats_.files_seen;
    const bool gz = is_gzip_name(name);  // a rotated log, compressed
    const bool is_log = gz || is_log_path(c.path) || glob_match(cfg_.log_globs, name, c.rel, c.path);
    if (auto h = env_file_hit(c.path)) into.leak_hits.push_back(std::move(*h));

    const int fd = ::open(c.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (c.walked ? O_NOFOLLOW : 0));
    if (fd < 0) {
      const int e = errno;
      if (e == ENOENT) continue;  // deleted since the walk: its hits go with it
      problems.push_back(fmt::format("{}: cannot read ({})", c.path, errno_text(e)));
      keep_previous(c.path);
      continue;
    }
    Fd guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      problems.push_back(fmt::format("{}: cannot read (not a regular file)", c.path));
      keep_previous(c.path);
      continue;
    }

    FileScanRecord rec;
    rec.path = c.path;
    rec.device = static_cast<std::uint64_t>(st.st_dev);
    rec.inode = static_cast<std::uint64_t>(st.st_ino);
    rec.size = static_cast<std::int64_t>(st.st_size);
    rec.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    rec.is_log = is_log;
    rec.scanned_at = now;

    auto before_it = prev.find(c.path);
    if (before_it != prev.end()) {
      const FileScanRecord& b = before_it->second;
      // Same file, only grown (or unchanged): continue where the last cycle
      // stopped. New inode, shrunk, or rewritten at the same size: rotated.
      const bool same_file = b.device == rec.device && b.inode == rec.inode;
      const bool shrunk = rec.size < b.size || rec.size < b.scanned_bytes;
      const bool rewritten = rec.size == b.size && rec.mtime_ns != b.mtime_ns;
      // A .gz is not appended to: any change is a new file. One stored as
      // binary was skipped by an older complyd: read now.
      const bool unchanged = gz ? rec.size == b.size && rec.mtime_ns == b.mtime_ns && !b.is_binary
                                : !shrunk && !rewritten;
      if (same_file && unchanged) {
        rec.scanned_bytes = b.scanned_bytes;
        rec.scanned_lines = b.scanned_lines;
        rec.carry = b.carry;
        rec.is_binary = b.is_binary;
        rec.pending_key = b.pending_key;
        rec.pending_env_entry = b.pending_env_entry;
        rec.gzip_done = b.gzip_done;
        rec.gzip_problem = b.gzip_problem;
        rec.hits = b.hits;
      } else {
        ++stats_.rescans;
        CLOG(debug) << "files: " << c.path << " rotated or truncated; rescanning from the start";
      }
    }

    auto finish = [&](std::vector<LeakHit> transient = {}) {
      into.leak_hits.insert(into.leak_hits.end(), rec.hits.begin(), rec.hits.end());
      into.leak_hits.insert(into.leak_hits.end(), std::make_move_iterator(transient.begin()),
                            std::make_move_iterator(transient.end()));
      next.emplace(c.path, std::move(rec));
    };

    const LeakScanOptions& opts = is_log ? log_options : plain_options;
    // Scans `done` (complete lines, or the rest of a file that has no more).
    auto scan_lines = [&](std::string_view done) {
      LeakPending pending{rec.pending_key, rec.pending_env_entry};
      merge_hits(rec.hits, scan_text(done, c.path, static_cast<std::size_t>(rec.scanned_lines) + 1, opts, pending));
      rec.pending_key = std::move(pending.key);
      rec.pending_env_entry = pending.env_entry;
      rec.scanned_lines += std::count(done.begin(), done.end(), '\n');
      rec.scanned_bytes += static_cast<std::int64_t>(done.size());
    };

    if (gz) {
      if (rec.gzip_done) {
        if (!rec.gzip_problem.empty()) problems.push_back(fmt::format("{}: {}", c.path, rec.gzip_problem));
        finish();
        continue;
      }
      if (budget <= 0) {
        ++stats_.deferred;
        finish();
        continue;
      }
      // One byte past the cap tells a file over it from one that ends there.
      const std::int64_t cap_left = std::max<std::int64_t>(0, cfg_.max_decompressed_bytes - rec.scanned_bytes);
      const bool cap_binds = cap_left < budget;
      std::string buf;
      const Inflated inf = inflate_gzip(fd, rec.scanned_bytes, cap_binds ? cap_left + 1 : budget, buf);
      const bool over_cap = cap_binds && static_cast<std::int64_t>(buf.size()) > cap_left;
      if (over_cap) buf.resize(static_cast<std::size_t>(cap_left));
      budget -= static_cast<std::int64_t>(buf.size());
      stats_.bytes_read += static_cast<std::int64_t>(buf.size());
      ++stats_.files_read;
      const bool done = inf.ended || over_cap || !inf.error.empty();
      if (!done) ++stats_.deferred;
      if (rec.scanned_bytes == 0 && std::string_view(buf).substr(0, 8192).find('\0') != std::string_view::npos) {
        rec.is_binary = true;  // a compressed image or archive, not a log
        rec.gzip_done = true;
        finish();
        continue;
      }
      std::size_t complete = buf.size();
      if (!done) {
        complete = buf.rfind('\n');
        complete = complete == std::string::npos ? 0 : complete + 1;
        if (complete == 0 && static_cast<std::int64_t>(buf.size()) >= kMaxLineBytes) complete = buf.size();
      }
      if (complete > 0) scan_lines(std::string_view(buf).substr(0, complete));
      rec.carry = static_cast<std::int64_t>(buf.size() - complete);
      if (over_cap) {
        rec.gzip_problem = fmt::format("not scanned past {} decompressed bytes (max_decompressed_bytes)",
                                       cfg_.max_decompressed_bytes);
      } else if (!inf.error.empty()) {
        rec.gzip_problem = fmt::format("corrupt or truncated gzip file ({}); scanned up to decompressed byte {}",
                                       inf.error, rec.scanned_bytes);
      }
      if (!rec.gzip_problem.empty()) {
        CLOG(error) << "files: " << c.path << ": " << rec.gzip_problem;
        problems.push_back(fmt::format("{}: {}", c.path, rec.gzip_problem));
      }
      rec.gzip_done = done;
      finish();
      continue;
    }

    if (rec.is_binary) {
      rec.scanned_bytes = rec.size;
      rec.carry = 0;
      finish();
      continue;
    }
    const std::int64_t avail = rec.size - rec.scanned_bytes;
    if (avail <= 0) {
      rec.carry = 0;
      finish();
      continue;
    }
    if (budget <= 0) {
      ++stats_.deferred;
      finish();
      continue;
    }

    const std::int64_t want = std::min(avail, budget);
    std::string buf(static_cast<std::size_t>(want), '\0');
    std::size_t got = 0;
    bool read_failed = false;
    while (got < buf.size()) {
      const ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got,
                                static_cast<off_t>(rec.scanned_bytes + static_cast<std::int64_t>(got)));
      if (n < 0) {
        if (errno == EINTR) continue;
        problems.push_back(fmt::format("{}: read failed ({})", c.path, errno_text(errno)));
        read_failed = true;
        break;
      }
      if (n == 0) break;  // shrank since fstat
      got += static_cast<std::size_t>(n);
    }
    if (read_failed) {
      keep_previous(c.path);
      continue;
    }
    buf.resize(got);
    budget -= static_cast<std::int64_t>(got);
    stats_.bytes_read += static_cast<std::int64_t>(got);
    ++stats_.files_read;
    if (want < avail) ++stats_.deferred;

    // Binary files (images, archives): skipped until rotated.
    if (rec.scanned_bytes == 0 && std::string_view(buf).substr(0, 8192).find('\0') != std::string_view::npos) {
      rec.is_binary = true;
      rec.hits.clear();
      rec.scanned_bytes = rec.size;
      rec.carry = 0;
      finish();
      continue;
    }

    const bool at_eof = rec.scanned_bytes + static_cast<std::int64_t>(got) >= rec.size;
    const std::string_view text(buf);
    std::size_t complete = text.rfind('\n');
    complete = complete == std::string_view::npos ? 0 : complete + 1;
    // A run without any newline longer than a line may be: scanned as it is.
    if (complete == 0 && static_cast<std::int64_t>(got) >= kMaxLineBytes) complete = got;
    if (complete > 0) scan_lines(text.substr(0, complete));
    const std::string_view tail = text.substr(complete);
    rec.carry = static_cast<std::int64_t>(tail.size());
    std::vector<LeakHit> transient;
    if (at_eof && !tail.empty()) {
      // The last line has no newline (yet): reported now, kept only once the
      // line is complete (it is re-read next cycle).
      LeakPending pending{rec.pending_key, rec.pending_env_entry};
      transient = scan_text(tail, c.path, static_cast<std::size_t>(rec.scanned_lines) + 1, opts, pending);
    }
    finish(std::move(transient));
  }

  // Files under a directory that could not be listed keep what was known.
  for (const auto& entry : prev) {
    const auto& path = entry.first;  // not a structured binding: clang 14 cannot capture one
    if (next.contains(path)) continue;
    if (std::any_of(unlisted.begin(), unlisted.end(), [&](const std::string& d) {
          return path.size() > d.size() && path.starts_with(d) && path[d.size()] == '/';
        })) {
      keep_previous(path);
    }
  }

  // Only this source's entries are replaced: other files sources share the state.
  for (auto it = state_->begin(); it != state_->end();) {
    it = owns(it->first) ? state_->erase(it) : std::next(it);
  }
  state_->merge(next);
  CLOG(debug) << fmt::format("files: {} files, {} read ({} bytes), {} rescanned, {} deferred to the next cycle, "
                             "{} of complyd's own databases not opened",
                             stats_.files_seen, stats_.files_read, stats_.bytes_read, stats_.rescans,
                             stats_.deferred, stats_.own_databases);
}


// --- [[sources]] type = "files" ---------------------------------------------

namespace {

Time mtime_of(const struct stat& st) { return Time{Duration{st.st_mtim.tv_sec}}; }

}  // namespace

DataSet retention_data_set(const FilesRetention& r, std::vector<std::string>& problems) {
  std::error_code ec;
  const auto st = fs::status(r.path, ec);  // a symlinked root is followed: the operator chose it
  if (!fs::exists(st)) {
    throw SourceError(fmt::format("retention path {} does not exist", r.path.string()));
  }
  if (!fs::is_directory(st)) throw SourceError(fmt::format("retention path {} is not a directory", r.path.string()));
  DataSet d;
  d.customer_id = r.customer_id;
  d.name = r.name.empty() ? r.path.string() : r.name;
  d.data_class = r.data_class;
  d.location = r.path.string();
  // Every regular file below, by its mtime; symbolic links are not followed.
  std::vector<fs::path> stack{r.path};
  while (!stack.empty()) {
    const fs::path dir = stack.back();
    stack.pop_back();
    fs::directory_iterator it(dir, ec);
    if (ec) {
      problems.push_back(fmt::format("{}: cannot list the directory ({}); its files are not counted", dir.string(),
                                     ec.message()));
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      struct stat fst {};
      if (::lstat(it->path().c_str(), &fst) != 0) continue;  // vanished meanwhile
      if (S_ISDIR(fst.st_mode)) {
        stack.push_back(it->path());
      } else if (S_ISREG(fst.st_mode)) {
        ++d.record_count;
        const Time t = mtime_of(fst);
        if (!d.oldest_record_at || t < *d.oldest_record_at) d.oldest_record_at = t;
        if (!d.newest_record_at || t > *d.newest_record_at) d.newest_record_at = t;
      }
    }
    if (ec) problems.push_back(fmt::format("{}: listing the directory stopped ({})", dir.string(), ec.message()));
  }
  return d;
}

namespace {

const FilesSourceSettings* files_settings_of(const SourceConfig& sc) {
  return sc.type == "files" && sc.settings ? dynamic_cast<const FilesSourceSettings*>(sc.settings.get()) : nullptr;
}

// Every enabled files source's paths: [files] first, then [[sources]] in file order.
std::vector<std::pair<std::string, const std::vector<fs::path>*>> file_source_roots(const Config& config) {
  std::vector<std::pair<std::string, const std::vector<fs::path>*>> out;
  if (config.files) out.emplace_back("files", &config.files->paths);
  for (const auto& sc : config.sources) {
    if (!sc.common.enabled) continue;
    if (const auto* fs_ = files_settings_of(sc)) out.emplace_back(sc.name, &fs_->files.paths);
  }
  return out;
}

class ConfiguredFilesSource final : public ConfiguredSource {
 public:
  ConfiguredFilesSource(const SourceConfig& c, const SourceContext& ctx)
      : ConfiguredSource(c), retention_(c.as<FilesSourceSettings>().retention) {
    const auto& settings = c.as<FilesSourceSettings>();
    if (settings.files.paths.empty()) return;
    auto cc = ctx.config.checks.find("leak-scan");
    if (cc != ctx.config.checks.end() && !cc->second.enabled) return;  // a disabled leak-scan reads no files
    // Two sources scanning one file would share (and fight over) its scan
    // state: the later one in the file refuses to run.
    for (const auto& [other, roots] : file_source_roots(ctx.config)) {
      if (other == c.name) break;
      for (const auto& mine : settings.files.paths) {
        for (const auto& theirs : *roots) {
          if (path_under(mine.string(), theirs) || path_under(theirs.string(), mine)) {
            overlap_ = fmt::format("path {} overlaps {} of the files source '{}'; each file may belong to one "
                                   "files source only",
                                   mine.string(), theirs.string(), other);
          }
        }
      }
    }
    scanner_.emplace(settings.files, leak_scan_options(leak_scan_params(ctx.config.checks)), ctx.file_scans, c.name);
    scanner_->never_open({ctx.config.state_db, ctx.config.inventory.path});
  }

  std::vector<FactKind> provides() const override {
    std::vector<FactKind> out;
    if (scanner_) out.push_back(FactKind::file_scans);
    if (!retention_.empty()) out.push_back(FactKind::data_sets);
    return out;
  }

  void collect(Facts& into, Time now, std::vector<std::string>& problems) override {
    if (!overlap_.empty()) throw SourceError(overlap_);
    for (const auto& r : retention_) into.data_sets.push_back(retention_data_set(r, problems));
    // Last: the scan updates the shared state, which must only change when
    // the whole source succeeds.
    if (scanner_) scanner_->collect(into, now, problems);
  }

 private:
  std::vector<FilesRetention> retention_;
  std::optional<FilesSource> scanner_;
  std::string overlap_;
};

std::shared_ptr<const SourceSettings> parse_files(cfg::Section& s, const fs::path& base) {
  auto out = std::make_shared<FilesSourceSettings>();
  auto& d = s.diagnostics();
  FilesConfig& fc = out->files;
  if (auto v = s.string_list("paths")) {
    for (const auto& p : *v) {
      if (p.empty()) {
        d.add(s.raw().get("paths")->source(), fmt::format("{}: an entry is empty", s.path("paths")));
        continue;
      }
      const fs::path pp(p);
      fc.paths.push_back(pp.is_absolute() ? pp : base / pp);
    }
  }
  for (const char* key : {"exclude", "log_globs"}) {
    auto v = s.string_list(key);
    if (!v) continue;
    if (std::any_of(v->begin(), v->end(), [](const std::string& g) { return g.empty(); })) {
      d.add(s.raw().get(key)->source(), fmt::format("{}: a pattern is empty", s.path(key)));
    }
    (std::string_view(key) == "exclude" ? fc.exclude : fc.log_globs) = *v;
  }
  if (auto v = s.integer("max_bytes_per_cycle", 4096, std::int64_t{1} << 40)) fc.max_bytes_per_cycle = *v;
  if (auto v = s.integer("max_decompressed_bytes", 4096, std::int64_t{1} << 40)) fc.max_decompressed_bytes = *v;
  for (auto& r : s.tables("retention")) {
    FilesRetention fr;
    if (auto p = r.path_value("path", base)) {
      fr.path = *p;
    } else if (!r.raw().contains("path")) {
      d.add(r.where(), fmt::format("{}: 'path' is required (the directory whose files are counted)", r.name()));
    }
    if (auto v = r.string("data_class"); v && !v->empty()) {
      fr.data_class = *v;
    } else if (!r.raw().contains("data_class") || (v && v->empty())) {
      d.add(r.where(), fmt::format("{}: 'data_class' is required (e.g. \"worker_log_hot\"; see "
                                   "[checks.retention-window.max_age])",
                                   r.name()));
    }
    if (auto v = r.string("customer_id")) fr.customer_id = *v;
    if (auto v = r.string("name")) fr.name = *v;
    r.finish();
    if (!fr.path.empty() && !fr.data_class.empty()) out->retention.push_back(std::move(fr));
  }
  if (!s.raw().contains("paths") && !s.raw().contains("retention")) {
    d.add(s.where(), fmt::format("{}: set 'paths' (files to scan for leaks), 'retention' (directories whose file "
                                 "ages are checked), or both",
                                 s.name()));
  }
  return out;
}

std::unique_ptr<Source> make_files(const SourceConfig& c, const SourceContext& ctx) {
  return std::make_unique<ConfiguredFilesSource>(c, ctx);
}

}  // namespace

bool uses_file_scans(const Config& config) {
  for (const auto& [name, roots] : file_source_roots(config)) {
    if (!roots->empty()) return true;
  }
  return false;
}

void prune_file_scans(const Config& config, FileScanState& state) {
  const auto roots = file_source_roots(config);
  for (auto it = state.begin(); it != state.end();) {
    const bool covered = std::any_of(roots.begin(), roots.end(), [&](const auto& r) {
      return std::any_of(r.second->begin(), r.second->end(),
                         [&](const fs::path& root) { return path_under(it->first, root); });
    });
    it = covered ? std::next(it) : state.erase(it);
  }
}

extern const SourceType kFilesSourceType{
    "files",
    "files on this host: leak scanning (like [files]) and file-age retention per directory",
    parse_files,
    make_files,
};

}  // namespace complyd
