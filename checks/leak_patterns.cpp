// SPDX-License-Identifier: Apache-2.0
#include "checks/leak_patterns.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace complyd {
namespace {

// ---- patterns ----------------------------------------------------------------
// No pattern crosses a line: none uses \s or matches '\n'. A key alone on its
// line (split_key_re) is joined with the next line by scan_split_keys.

// The PEM armour header of a private key. Built from two parts so that no
// source file holds a literal armour line (the repository's secret scanner
// flags one).
const RE2& private_key_re() {
  static const RE2 re(std::string("(-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE") + " KEY(?: BLOCK)?-----)");
  return re;
}

const RE2& bearer_re() {
  static const RE2 re(R"((?i)\b(bearer)[ \t]+([A-Za-z0-9._~+/=-]+))");
  return re;
}

#define COMPLYD_SECRET_KEY \
  R"re([A-Za-z0-9_.-]*(?:token|api[_-]?key|secret|passw(?:or)?d|authorization|private[_-]?key)[A-Za-z0-9_.-]*)re"
#define COMPLYD_SECRET_VALUE R"re([^ \t\r\n"'`,;&<>(){}\[\]\\*$|]+)re"

// key <sep> value on one line, for secret-looking keys: token,
// securityToken, apiKey, api_key, x-api-key, secret, client_secret, password,
// passwd, authorization, private_key... as one-line JSON, YAML (`key: v`,
// docker-compose `- KEY=v`), .env, query strings and headers write them. The
// value stops at quotes, whitespace and the characters templates use (${...},
// <...>, [REDACTED], ***), so placeholders never form a value. A key and its
// value on adjacent lines: split_key_re.
const RE2& assignment_re() {
  static const RE2 re(R"re((?i)()re" COMPLYD_SECRET_KEY R"re()["']?[ \t]*(?::=|=>|[:=])[ \t]*["']?(?:(basic|bearer|token|digest)[ \t]+)?()re" COMPLYD_SECRET_VALUE R"re())re");
  return re;
}

// A whole line holding only a secret-looking key whose value is on the next
// line: a Kubernetes env entry `- name: RAISE_API_TOKEN` (group 1), or
// `api_token:`, `api_token: |` (a YAML block scalar), `"api_token":`
// (pretty-printed JSON) (group 2). Tried only on lines key_line_shaped passes.
const RE2& split_key_re() {
  static const RE2 re(R"re((?i)[ \t]*(?:-[ \t]+)?(?:name[ \t]*:[ \t]*["']?()re" COMPLYD_SECRET_KEY
                      R"re()["']?|["']?()re" COMPLYD_SECRET_KEY R"re()["']?[ \t]*:[ \t]*(?:[|>][-+0-9]*)?)[ \t]*\r?)re");
  return re;
}

// The next line of an env entry: `value: ...` (not valueFrom).
const RE2& env_value_re() {
  static const RE2 re(R"re(^[ \t]*value[ \t]*:[ \t]*["']?()re" COMPLYD_SECRET_VALUE R"re())re");
  return re;
}

// The next line after `key:`: the value alone (quoted, maybe with JSON's comma).
const RE2& bare_value_re() {
  static const RE2 re(R"re(^[ \t]*["']?()re" COMPLYD_SECRET_VALUE R"re()["']?[ \t]*,?[ \t]*\r?$)re");
  return re;
}

#undef COMPLYD_SECRET_KEY
#undef COMPLYD_SECRET_VALUE

// A run of at least 13 digits, optionally grouped by single spaces or dashes.
const RE2& digit_run_re() {
  static const RE2 re(R"((\d(?:[ -]?\d){12,}))");
  return re;
}

const RE2& email_re() {
  static const RE2 re(R"(([A-Za-z0-9._%+-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24})\b)");
  return re;
}

// ---- helpers -----------------------------------------------------------------

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

// Line numbers for match offsets that only grow within one pass.
class LineCursor {
 public:
  LineCursor(std::string_view text, std::size_t first_line) : text_(text), line_(first_line) {}
  std::size_t at(const char* p) {
    const auto offset = static_cast<std::size_t>(p - text_.data());
    if (offset > pos_) {
      line_ += static_cast<std::size_t>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                                   text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
      pos_ = offset;
    }
    return line_;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_;
};

// Hits unique per (line, kind).
class HitSet {
 public:
  explicit HitSet(const std::string& file) : file_(file) {}
  void add(std::size_t line, LeakKind kind, std::string excerpt, std::size_t value_length) {
    auto [it, inserted] = hits_.try_emplace({line, kind});
    if (!inserted) {
      ++it->second.occurrences;
      return;
    }
    it->second = LeakHit{file_, line, kind, std::move(excerpt), value_length, 1};
  }
  std::vector<LeakHit> take() {
    std::vector<LeakHit> out;
    out.reserve(hits_.size());
    for (auto& [k, h] : hits_) out.push_back(std::move(h));
    return out;
  }

 private:
  const std::string& file_;
  std::map<std::pair<std::size_t, LeakKind>, LeakHit> hits_;
};

// Keys whose value names, counts or points at a secret rather than being one
// (compared lower case with '_', '-' and '.' removed).
bool key_names_metadata(std::string_view key) {
  std::string k;
  for (char c : key) {
    if (c != '_' && c != '-' && c != '.') k += lower(c);
  }
  if (k.find("tokeniz") != std::string::npos) return true;  // tokenizer, tokenization
  static constexpr std::array<std::string_view, 34> kSuffixes{
      "file",    "files",    "path",      "dir",       "url",       "uri",       "endpoint",
      "id",      "ids",      "name",      "type",      "kind",      "count",     "length",
      "len",     "size",     "ttl",       "expiry",    "expiresin", "expiresat", "createdat",
      "updatedat", "rotatedat", "issuedat", "hash",    "fingerprint", "header",  "field",
      "prefix",  "hint",     "version",   "scope",     "policy",    "env"};
  return std::any_of(kSuffixes.begin(), kSuffixes.end(), [&](std::string_view s) { return k.ends_with(s); });
}

bool is_placeholder(std::string_view v) {
  static constexpr std::array<std::string_view, 15> kMarkers{
      "example", "placeholder", "changeme", "change_me", "change-me", "redacted", "your_", "your-",
      "yourtoken", "xxxx", "dummy", "_here", "-here", "fixme", "todo"};
  const std::string l = lower_copy(v);
  return std::any_of(kMarkers.begin(), kMarkers.end(), [&](std::string_view m) { return l.find(m) != std::string::npos; });
}

// process.env.RAISE_API_KEY, config.secrets.webhook: a reference, not a value.
bool is_dotted_identifier(std::string_view v) {
  if (v.find('.') == std::string_view::npos) return false;
  std::size_t seg = 0;
  for (char c : v) {
    if (c == '.') {
      if (seg == 0) return false;
      seg = 0;
    } else if (is_alpha(c) || c == '_') {
      ++seg;
    } else {
      return false;
    }
  }
  return seg > 0;
}

// RAISE_API_TOKEN: the name of an environment variable.
bool is_screaming_snake(std::string_view v) {
  return v.find('_') != std::string_view::npos &&
         std::all_of(v.begin(), v.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

bool is_file_path(std::string_view v) {
  const bool rooted = v.starts_with('/') || v.starts_with("./") || v.starts_with("../") || v.starts_with("~/");
  return rooted && std::count(v.begin(), v.end(), '/') >= 2;
}

bool secret_like(std::string_view v, const LeakScanOptions& o) {
  if (v.size() < o.min_value_length) return false;
  if (v.find("://") != std::string_view::npos) return false;  // a URL; a token in its query is matched on its own
  if (is_placeholder(v) || is_dotted_identifier(v) || is_screaming_snake(v) || is_file_path(v)) return false;
  return shannon_entropy(v) >= o.min_entropy_bits_per_char;
}

// Issuer prefixes of payment cards (Visa, Mastercard, Amex, Discover, JCB,
// Diners, UnionPay, Maestro). Filters out order ids, epoch milliseconds and
// other long numbers that happen to pass Luhn.
bool card_prefix(std::string_view d) {
  auto prefix = [&](std::size_t n) { return std::stoi(std::string(d.substr(0, n))); };
  switch (d[0]) {
    case '4': return true;
    case '5': return prefix(2) >= 50 && prefix(2) <= 58;
    case '2': return prefix(4) >= 2221 && prefix(4) <= 2720;
    case '3': {
      const int p2 = prefix(2);
      return p2 == 30 || p2 == 34 || p2 == 35 || p2 == 36 || p2 == 37 || p2 == 38 || p2 == 39;
    }
    case '6': return true;
    default: return false;
  }
}

// Card-number grouping: 4-4-4-4(-1..3) or Amex/Diners 4-6-5 / 4-6-4.
bool card_grouping(const std::vector<std::string_view>& groups) {
  if (groups.size() == 3 && groups[0].size() == 4 && groups[1].size() == 6 &&
      (groups[2].size() == 4 || groups[2].size() == 5)) {
    return true;
  }
  if (groups.size() < 4) return false;
  for (std::size_t i = 0; i + 1 < groups.size(); ++i) {
    if (groups[i].size() != 4) return false;
  }
  return !groups.back().empty() && groups.back().size() <= 4;
}

bool pan_candidate(std::string_view digits) {
  return digits.size() >= 13 && digits.size() <= 19 && card_prefix(digits) && luhn_valid(digits);
}

void scan_private_keys(std::string_view text, std::size_t first_line, HitSet& hits) {
  LineCursor lines(text, first_line);
  re2::StringPiece in(text.data(), text.size()), whole, types;
  while (RE2::FindAndConsume(&in, private_key_re(), &whole, &types)) {
    std::string t(types.data() == nullptr ? "" : std::string(types.data(), types.size()));
    while (!t.empty() && t.back() == ' ') t.pop_back();
    hits.add(lines.at(whole.data()), LeakKind::private_key,
             t.empty() ? "[private key block]" : fmt::format("[private key block: {}]", t), 0);
  }
}

void scan_bearer(std::string_view text, std::size_t first_line, const LeakScanOptions& o, HitSet& hits) {
  LineCursor lines(text, first_line);
  re2::StringPiece in(text.data(), text.size()), word, value;
  while (RE2::FindAndConsume(&in, bearer_re(), &word, &value)) {
    const std::string_view v(value.data(), value.size());
    if (!secret_like(v, o)) continue;
    hits.add(lines.at(word.data()), LeakKind::bearer_token, fmt::format("Bearer [REDACTED] ({} chars)", v.size()),
             v.size());
  }
}

void scan_assignments(std::string_view text, std::size_t first_line, const LeakScanOptions& o, HitSet& hits) {
  LineCursor lines(text, first_line);
  re2::StringPiece in(text.data(), text.size()), key, scheme, value;
  while (RE2::FindAndConsume(&in, assignment_re(), &key, &scheme, &value)) {
    const std::string_view k(key.data(), key.size());
    const std::string_view v(value.data(), value.size());
    const std::string s = scheme.data() == nullptr ? "" : lower_copy(std::string_view(scheme.data(), scheme.size()));
    if (s == "bearer") continue;  // the bearer pattern reports it
    if (key_names_metadata(k) || !secret_like(v, o)) continue;
    const std::string shown_key(k.substr(0, 64));
    const std::string excerpt =
        s.empty() ? fmt::format("{}=[REDACTED] ({} chars)", shown_key, v.size())
                  : fmt::format("{}: {}{} [REDACTED] ({} chars)", shown_key, static_cast<char>(s[0] - 'a' + 'A'),
                                s.substr(1), v.size());
    hits.add(lines.at(key.data()), LeakKind::token_assignment, excerpt, v.size());
  }
}

// The value of `pending` on `line` (line number `line_no`), if it is one.
void split_value(std::string_view line, std::size_t line_no, const LeakPending& pending, const LeakScanOptions& o,
                 HitSet& hits) {
  re2::StringPiece value;
  const re2::StringPiece in(line.data(), line.size());
  if (!RE2::PartialMatch(in, pending.env_entry ? env_value_re() : bare_value_re(), &value)) return;
  const std::string_view v(value.data(), value.size());
  if (!secret_like(v, o)) return;
  hits.add(line_no, LeakKind::token_assignment,
           fmt::format("{}=[REDACTED] ({} chars)", std::string_view(pending.key).substr(0, 64), v.size()), v.size());
}

// A cheap look at both ends of a line before split_key_re: it ends in ':' or
// a block scalar indicator, or starts with `name` (after `- `). A regex pass
// over the whole text cost about a fifth of the detector's throughput.
bool key_line_shaped(std::string_view line) {
  std::size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t' || line[end - 1] == '\r')) --end;
  if (end == 0) return false;
  std::size_t i = end;
  while (i > 0 && end - i < 3 && (line[i - 1] == '-' || line[i - 1] == '+' || is_digit(line[i - 1]))) --i;
  if (i > 0 && (line[i - 1] == ':' || line[i - 1] == '|' || line[i - 1] == '>')) return true;
  std::size_t b = line.find_first_not_of(" \t");
  if (b != std::string_view::npos && line[b] == '-') b = line.find_first_not_of(" \t", b + 1);
  return b != std::string_view::npos && line.size() - b > 4 && lower(line[b]) == 'n' && lower(line[b + 1]) == 'a' &&
         lower(line[b + 2]) == 'm' && lower(line[b + 3]) == 'e';
}

// Whether `line` holds a word every secret key holds (token, key, secret,
// passw, authoriz), before the regex runs on it.
bool has_secret_word(std::string_view line) {
  static constexpr std::array<std::string_view, 5> kWords{"token", "key", "secret", "passw", "authoriz"};
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = lower(line[i]);
    if (c != 't' && c != 'k' && c != 's' && c != 'p' && c != 'a') continue;
    for (auto w : kWords) {
      if (w[0] != c || line.size() - i < w.size()) continue;
      std::size_t j = 1;
      while (j < w.size() && lower(line[i + j]) == w[j]) ++j;
      if (j == w.size()) return true;
    }
  }
  return false;
}

void scan_split_keys(std::string_view text, std::size_t first_line, const LeakScanOptions& o, HitSet& hits,
                     LeakPending& pending) {
  auto line_at = [&](std::size_t from) {
    const auto nl = text.find('\n', from);
    return text.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from);
  };
  if (!pending.key.empty() && !text.empty()) split_value(line_at(0), first_line, pending, o, hits);
  pending = {};
  std::size_t pos = 0, line_no = first_line;
  // Complete lines only: a last line without '\n' is read again.
  for (std::size_t nl; (nl = text.find('\n', pos)) != std::string_view::npos; pos = nl + 1, ++line_no) {
    const std::string_view line = text.substr(pos, nl - pos);
    re2::StringPiece env_key, key;
    if (!key_line_shaped(line) || !has_secret_word(line) ||
        !RE2::FullMatch(re2::StringPiece(line.data(), line.size()), split_key_re(), &env_key, &key)) {
      continue;
    }
    const bool env = env_key.data() != nullptr && !env_key.empty();
    const std::string_view k = env ? std::string_view(env_key.data(), env_key.size())
                                   : std::string_view(key.data(), key.size());
    if (key_names_metadata(k)) continue;
    LeakPending p{std::string(k), env};
    if (nl + 1 == text.size()) {
      pending = std::move(p);  // the value is in the next chunk
      break;
    }
    split_value(line_at(nl + 1), line_no + 1, p, o, hits);
  }
}

void scan_cards(std::string_view text, std::size_t first_line, HitSet& hits) {
  LineCursor lines(text, first_line);
  re2::StringPiece in(text.data(), text.size()), run;
  while (RE2::FindAndConsume(&in, digit_run_re(), &run)) {
    const std::string_view r(run.data(), run.size());
    const std::size_t at = static_cast<std::size_t>(r.data() - text.data());
    const std::size_t end = at + r.size();
    // Part of a longer word or number: hex ids, decimals, versions.
    if (at > 0) {
      const char b = text[at - 1];
      if (is_alnum(b) || b == '_' || b == '.' || b == '/') continue;
    }
    if (end < text.size()) {
      const char a = text[end];
      if (is_alnum(a) || a == '_') continue;
      if (a == '.' && end + 1 < text.size() && is_digit(text[end + 1])) continue;
    }
    std::vector<std::string_view> groups;
    std::vector<char> seps;  // seps[k] joins groups[k] and groups[k + 1]
    std::size_t start = 0;
    for (std::size_t i = 0; i <= r.size(); ++i) {
      if (i == r.size() || r[i] == ' ' || r[i] == '-') {
        groups.push_back(r.substr(start, i - start));
        if (i < r.size()) seps.push_back(r[i]);
        start = i + 1;
      }
    }
    // The longest card-shaped stretch of groups from each position: a date
    // or an order id may sit beside a card number in the same run.
    std::size_t i = 0;
    while (i < groups.size()) {
      std::size_t next = i + 1;
      for (std::size_t j = groups.size(); j > i; --j) {
        const std::vector<std::string_view> sub(groups.begin() + static_cast<std::ptrdiff_t>(i),
                                                groups.begin() + static_cast<std::ptrdiff_t>(j));
        bool shaped = sub.size() == 1;
        if (!shaped) {
          const bool uniform = std::all_of(seps.begin() + static_cast<std::ptrdiff_t>(i),
                                           seps.begin() + static_cast<std::ptrdiff_t>(j - 1),
                                           [&](char c) { return c == seps[i]; });
          shaped = uniform && card_grouping(sub);
        }
        if (!shaped) continue;
        std::string d;
        for (auto g : sub) d += g;
        if (!pan_candidate(d)) continue;
        hits.add(lines.at(sub.front().data()), LeakKind::card_number,
                 fmt::format("[PAN, Luhn-valid, {} digits]", d.size()), d.size());
        next = j;
        break;
      }
      i = next;
    }
  }
}

bool ignored_email(std::string_view local, std::string_view domain, const LeakScanOptions& o) {
  static constexpr std::array<std::string_view, 6> kRoleLocals{"noreply",  "no-reply",   "donotreply",
                                                               "do-not-reply", "postmaster", "mailer-daemon"};
  static constexpr std::array<std::string_view, 9> kFileExtensions{"png", "jpg", "jpeg", "gif", "svg",
                                                                   "webp", "css", "js", "ico"};
  const std::string l = lower_copy(local), d = lower_copy(domain);
  if (std::find(kRoleLocals.begin(), kRoleLocals.end(), l) != kRoleLocals.end()) return true;
  const std::string tld = d.substr(d.rfind('.') + 1);
  if (std::find(kFileExtensions.begin(), kFileExtensions.end(), tld) != kFileExtensions.end()) return true;  // logo@2x.png
  return std::any_of(o.ignore_email_domains.begin(), o.ignore_email_domains.end(), [&](const std::string& ign) {
    const std::string i = lower_copy(ign);
    return d == i || (d.size() > i.size() && d.ends_with(i) && d[d.size() - i.size() - 1] == '.');
  });
}

void scan_emails(std::string_view text, std::size_t first_line, const LeakScanOptions& o, HitSet& hits) {
  LineCursor lines(text, first_line);
  re2::StringPiece in(text.data(), text.size()), local, domain;
  while (RE2::FindAndConsume(&in, email_re(), &local, &domain)) {
    const std::string_view l(local.data(), local.size()), d(domain.data(), domain.size());
    if (ignored_email(l, d, o)) continue;
    hits.add(lines.at(l.data()), LeakKind::donor_email, "[e-mail address]", l.size() + 1 + d.size());
  }
}

}  // namespace

LeakScanOptions leak_scan_options(const LeakScanParams& params) {
  LeakScanOptions o;
  o.min_entropy_bits_per_char = params.min_entropy_bits_per_char;
  o.min_value_length = static_cast<std::size_t>(std::max<std::int64_t>(1, params.min_value_length));
  o.ignore_email_domains = params.ignore_email_domains;
  for (auto& d : o.ignore_email_domains) d = lower_copy(d);
  return o;
}

std::vector<LeakHit> scan_text(std::string_view text, const std::string& file, std::size_t first_line,
                               const LeakScanOptions& opts) {
  LeakPending none;
  return scan_text(text, file, first_line, opts, none);
}

std::vector<LeakHit> scan_text(std::string_view text, const std::string& file, std::size_t first_line,
                               const LeakScanOptions& opts, LeakPending& pending) {
  HitSet hits(file);
  scan_private_keys(text, first_line, hits);
  scan_bearer(text, first_line, opts, hits);
  scan_assignments(text, first_line, opts, hits);
  scan_split_keys(text, first_line, opts, hits, pending);
  scan_cards(text, first_line, hits);
  if (opts.is_log) scan_emails(text, first_line, opts, hits);
  return hits.take();
}

bool is_env_file_name(std::string_view name) {
  if (name == ".env") return true;
  if (name.starts_with(".env.")) {
    const std::string rest = lower_copy(name.substr(5));
    for (std::string_view tmpl : {"example", "sample", "template", "dist"}) {
      if (rest == tmpl || rest.ends_with(std::string(".") + std::string(tmpl))) return false;
    }
    return true;
  }
  return name.size() > 4 && name.ends_with(".env");  // production.env (docker env_file)
}

std::optional<LeakHit> env_file_hit(const std::string& file) {
  const auto slash = file.find_last_of('/');
  const std::string_view name = slash == std::string::npos ? std::string_view(file) : std::string_view(file).substr(slash + 1);
  if (!is_env_file_name(name)) return std::nullopt;
  return LeakHit{file, 0, LeakKind::env_file, "[.env file]", 0, 1};
}

bool is_log_path(std::string_view path) {
  const auto slash = path.find_last_of('/');
  const std::string name = lower_copy(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (name.ends_with(".log") || name.find(".log.") != std::string::npos) return true;
  std::size_t start = 0;
  while (slash != std::string_view::npos && start < slash) {
    const auto next = path.find('/', start);
    if (next == std::string_view::npos || next > slash) break;
    const std::string dir = lower_copy(path.substr(start, next - start));
    if (dir == "log" || dir == "logs") return true;
    start = next + 1;
  }
  return false;
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0.0;
  std::array<std::size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0.0;
  const double n = static_cast<double>(s.size());
  for (auto c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) return false;
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

}  // namespace complyd
