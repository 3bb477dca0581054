// SPDX-License-Identifier: Apache-2.0
#include "daemon/http/console.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <deque>
#include <regex>
#include <set>
#include <unordered_map>

#include "daemon/http/console_pages.hpp"
#include "daemon/log/log.hpp"
#include "daemon/store/operator_action.hpp"
#include "daemon/util/crypto.hpp"

namespace complyd::http {

namespace {

constexpr std::string_view kSessionCookie = "complyd_session";
constexpr std::string_view kLoginCookie = "complyd_login";  // the login form's CSRF token (double submit)
constexpr std::size_t kMaxSessions = 10000;                 // bounded memory, whatever logs in
constexpr std::size_t kMaxLimiterKeys = 10000;

using Steady = std::chrono::steady_clock;

// Every console page: nothing but this origin, no inline script, no framing.
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

Response page_response(bhttp::status status, unsigned version, std::string body, const char* type) {
  Response res{status, version};
  res.set(bhttp::field::server, "complyd");
  res.set(bhttp::field::content_type, type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", kCsp);
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response html(bhttp::status status, unsigned version, std::string body) {
  return page_response(status, version, std::move(body), "text/html; charset=utf-8");
}

Response redirect(unsigned version, const std::string& location) {
  auto res = page_response(bhttp::status::see_other, version, "", "text/plain; charset=utf-8");
  res.set(bhttp::field::location, location);
  return res;
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

std::string hex_token() {
  const auto raw = random_bytes(32);
  std::string out;
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

}  // namespace

struct Console::State {
  Options opts;
  std::optional<sql::Db> reader;       // the pages' read-only connection, opened on first use
  std::unique_ptr<StateStore> writer;  // the actions' connection, opened on first action
  struct Session {
    std::string user, csrf;
    Steady::time_point expires;
  };
  std::unordered_map<std::string, Session> sessions;  // by SHA-256 of the cookie: a leaked map holds no cookie
  std::unordered_map<std::string, std::deque<Steady::time_point>> failures;  // by address and by user name

  sql::Db& db() {
    if (!reader) reader.emplace(opts.state_db, sql::OpenMode::read_only);
    return *reader;
  }
  StateStore& store() {
    if (!writer) writer = std::make_unique<StateStore>(opts.state_db, StateUse::live, opts.clock);
    return *writer;
  }

  // Failed logins in the last minute for `key`, after dropping older ones.
  std::size_t recent_failures(const std::string& key, Steady::time_point now) {
    auto it = failures.find(key);
    if (it == failures.end()) return 0;
    auto& q = it->second;
    while (!q.empty() && now - q.front() > std::chrono::minutes(1)) q.pop_front();
    if (q.empty()) {
      failures.erase(it);
      return 0;
    }
    return q.size();
  }
  void fail(const std::string& key, Steady::time_point now) {
    if (failures.size() >= kMaxLimiterKeys && !failures.contains(key)) {
      for (auto it = failures.begin(); it != failures.end();) {
        it = (it->second.empty() || now - it->second.back() > std::chrono::minutes(1)) ? failures.erase(it)
                                                                                      : std::next(it);
      }
      if (failures.size() >= kMaxLimiterKeys) failures.clear();  // a flood: start over rather than grow
    }
    failures[key].push_back(now);
  }

  Response serve(const Request& req, const std::string& remote, const HttpConfig& cfg);
  Response login(const Request& req, const std::string& remote, const HttpConfig& cfg);
  Response action(const Request& req, const console::Viewer& v, const std::string& id, std::string_view what,
                  const console::Params& form, const HttpConfig& cfg);
};

Console::Console(Options opts, const HttpConfig& cfg)
    : state_(std::make_unique<State>()), config_(std::make_shared<const HttpConfig>(cfg)) {
  state_->opts = std::move(opts);
}

Console::~Console() { stop(); }

bool Console::serves(std::string_view path) {
  return path != "/healthz" && path != "/metrics" && !path.starts_with("/v1/") && path != "/v1";
}

void Console::set_config(const HttpConfig& cfg) { config_ = std::make_shared<const HttpConfig>(cfg); }

void Console::stop() {
  pool_.stop();
  pool_.join();
}

void Console::handle(Request req, std::string remote, boost::asio::any_io_executor ex,
                     std::function<void(Response)> done) {
  boost::asio::post(pool_, [this, req = std::move(req), remote = std::move(remote), cfg = config_, ex,
                            done = std::move(done)]() mutable {
    Response res;
    try {
      res = state_->serve(req, remote, *cfg);
    } catch (const std::exception& e) {
      // The message may name the database; never anything from the request.
      CLOG(error) << "console: " << req.method_string() << " failed: " << e.what();
      res = html(bhttp::status::internal_server_error, req.version(),
                 console::message_page("Error", "The page could not be built; the daemon's log says why.", nullptr));
    }
    boost::asio::post(ex, [done = std::move(done), res = std::move(res)]() mutable { done(std::move(res)); });
  });
}

Response Console::State::serve(const Request& req, const std::string& remote, const HttpConfig& cfg) {
  const unsigned v = req.version();
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  const auto path = target.substr(0, q);
  const auto query = console::parse_form(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  const bool get = req.method() == bhttp::verb::get;
  const bool post = req.method() == bhttp::verb::post;
  if (!get && !post) {
    auto res = html(bhttp::status::method_not_allowed, v, console::message_page("Not allowed", "GET or POST only.", nullptr));
    res.set(bhttp::field::allow, "GET, POST");
    return res;
  }
  if (get) {
    if (auto a = console::asset(path)) {
      auto res = page_response(bhttp::status::ok, v, std::string(a->body), a->type);
      res.set(bhttp::field::cache_control, "no-cache");
      return res;
    }
  }
  if (path == "/login") return login(req, remote, cfg);
  if (path == "/favicon.ico") return html(bhttp::status::not_found, v, "");  // none; and no redirect to /login

  // Every other path needs a session of a user who is still configured.
  const auto cookies = req[bhttp::field::cookie];
  const auto presented = cookie_value(std::string_view(cookies.data(), cookies.size()), kSessionCookie);
  const HttpUser* user = nullptr;
  Session* session = nullptr;
  const auto now = Steady::now();
  if (!presented.empty()) {
    auto it = sessions.find(sha256_hex(presented));
    if (it != sessions.end()) {
      if (it->second.expires < now) {
        sessions.erase(it);
      } else {
        for (const auto& u : cfg.users) {
          if (u.name == it->second.user) user = &u;
        }
        if (user == nullptr) sessions.erase(it);  // removed from the configuration: signed out
        else session = &it->second;
      }
    }
  }
  if (session == nullptr) {
    if (post) {
      return html(bhttp::status::forbidden, v,
                  console::message_page("Forbidden", "Sign in first; this request was not carried out.", nullptr));
    }
    return redirect(v, "/login");
  }
  session->expires = now + cfg.session_timeout;  // idle timeout, kept on the server
  const console::Viewer viewer{user->name, user->role, session->csrf, user->can_act()};

  if (post) {
    const auto form = console::parse_form(req.body());
    const auto token = form.find("csrf");
    if (token == form.end() || !constant_time_equal(token->second, session->csrf)) {
      CLOG(warning) << fmt::format("console: {} {} by '{}' refused: missing or wrong CSRF token",
                                   std::string_view(req.method_string().data(), req.method_string().size()),
                                   std::string(path), user->name);
      return html(bhttp::status::forbidden, v,
                  console::message_page("Forbidden", "The form's security token is missing or stale; reload the page "
                                                     "and try again.",
                                        &viewer));
    }
    if (path == "/logout") {
      sessions.erase(sha256_hex(presented));
      auto res = redirect(v, "/login");
      res.set(bhttp::field::set_cookie, fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict", kSessionCookie));
      return res;
    }
    // POST /findings/<id>/<mute|unmute|ack>
    constexpr std::string_view prefix = "/findings/";
    if (path.starts_with(prefix)) {
      const auto rest = path.substr(prefix.size());
      const auto slash = rest.find('/');
      if (slash != std::string_view::npos) {
        return action(req, viewer, std::string(rest.substr(0, slash)), rest.substr(slash + 1), form, cfg);
      }
    }
    return html(bhttp::status::not_found, v, console::message_page("Not found", "No such action.", &viewer));
  }

  const auto now_t = opts.clock();
  if (path == "/") return html(bhttp::status::ok, v, console::overview_page(db(), viewer, now_t));
  if (path == "/findings") {
    return html(bhttp::status::ok, v, console::findings_page(db(), console::FindingsQuery::from(query), viewer));
  }
  if (path.starts_with("/findings/")) {
    const std::string id(path.substr(10));
    auto notice = query.contains("done") ? query.at("done") : std::string();
    static const std::set<std::string> notices{"muted", "unmuted", "acknowledged"};
    if (!notices.contains(notice)) notice.clear();  // never echo anything else
    if (auto page = console::finding_page(db(), id, viewer, notice.empty() ? "" : "Finding " + notice + ".", "", now_t)) {
      return html(bhttp::status::ok, v, std::move(*page));
    }
  }
  if (path.starts_with("/customers/")) {
    const auto id = console::parse_form("c=" + std::string(path.substr(11)));
    if (auto page = console::customer_page(db(), id.contains("c") ? id.at("c") : "", viewer, now_t)) {
      return html(bhttp::status::ok, v, std::move(*page));
    }
  }
  if (path == "/mutes") {
    std::optional<std::vector<MutelistRule>> rules;
    if (opts.mutelist) rules = opts.mutelist();
    return html(bhttp::status::ok, v, console::mutes_page(db(), viewer, rules ? &*rules : nullptr, now_t));
  }
  return html(bhttp::status::not_found, v, console::message_page("Not found", "There is no such page.", &viewer));
}

Response Console::State::login(const Request& req, const std::string& remote, const HttpConfig& cfg) {
  const unsigned v = req.version();
  const bool secure = !is_loopback(cfg.host);  // a plain-HTTP cookie only on loopback
  const std::string attrs = fmt::format("Path=/; HttpOnly; SameSite=Strict{}", secure ? "; Secure" : "");
  const auto cookies = req[bhttp::field::cookie];
  const auto pre = cookie_value(std::string_view(cookies.data(), cookies.size()), kLoginCookie);
  // One token per browser while its cookie lasts: a second GET (another tab,
  // a favicon's redirect) must not invalidate the form already shown.
  static const std::regex token_re("[0-9a-f]{64}");
  const bool pre_ok = std::regex_match(pre, token_re);
  auto form_page = [&](bhttp::status status, const std::string& error, const std::string& name) {
    const auto csrf = pre_ok && status == bhttp::status::ok ? pre : hex_token();
    auto res = html(status, v, console::login_page(csrf, error, name));
    res.set(bhttp::field::set_cookie, fmt::format("{}={}; Max-Age=600; {}", kLoginCookie, csrf, attrs));
    return res;
  };
  if (req.method() != bhttp::verb::post) return form_page(bhttp::status::ok, "", "");

  const auto form = console::parse_form(req.body());
  auto field = [&](const char* k) { return form.contains(k) ? form.at(k) : std::string(); };
  if (pre.empty() || !constant_time_equal(field("csrf"), pre)) {
    return form_page(bhttp::status::forbidden, "The sign-in form expired; please try again.", "");
  }
  const auto name = field("name");
  const auto secret = field("secret");
  const HttpUser* user = nullptr;
  for (const auto& u : cfg.users) {
    if (u.name == name) user = &u;
  }
  // A name that is no user is logged as such: it may be a pasted password.
  const std::string who = user != nullptr ? "'" + user->name + "'" : std::string("(an unknown user)");
  const auto now = Steady::now();
  const auto limit = static_cast<std::size_t>(cfg.login_attempts_per_minute);
  const std::string by_addr = "addr:" + remote, by_user = "user:" + (user != nullptr ? user->name : std::string("?"));
  if (recent_failures(by_addr, now) >= limit || (user != nullptr && recent_failures(by_user, now) >= limit)) {
    CLOG(warning) << fmt::format("console: sign-in as {} from {} refused: too many failed attempts", who, remote);
    auto res = form_page(bhttp::status::too_many_requests, "Too many failed sign-ins; wait a minute and try again.",
                         user != nullptr ? name : "");
    res.set(bhttp::field::retry_after, "60");
    return res;
  }
  bool ok = false;
  if (user != nullptr && !user->token_sha256.empty()) {
    ok = constant_time_equal(sha256_hex(secret), user->token_sha256);
  } else if (user != nullptr && !user->password_hash.empty()) {
    ok = verify_password(user->password_hash, secret);
  } else {
    (void)sha256_hex(secret);  // about the same work for an unknown name
  }
  if (!ok) {
    fail(by_addr, now);
    if (user != nullptr) fail(by_user, now);
    CLOG(warning) << fmt::format("console: failed sign-in as {} from {}", who, remote);
    return form_page(bhttp::status::unauthorized, "Unknown user name or wrong token or password.",
                     user != nullptr ? name : "");
  }
  // A new session id at every sign-in (no fixation); only its hash is kept.
  for (auto it = sessions.begin(); it != sessions.end();) {
    it = it->second.expires < now ? sessions.erase(it) : std::next(it);
  }
  if (sessions.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions.begin(), sessions.end(),
                                   [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    sessions.erase(oldest);
  }
  const auto id = hex_token();
  sessions[sha256_hex(id)] = Session{user->name, hex_token(), now + cfg.session_timeout};
  CLOG(info) << fmt::format("console: {} ({}) signed in from {}", who, user->role, remote);
  auto res = redirect(v, "/");
  res.insert(bhttp::field::set_cookie, fmt::format("{}={}; {}", kSessionCookie, id, attrs));
  res.insert(bhttp::field::set_cookie, fmt::format("{}=; Max-Age=0; {}", kLoginCookie, attrs));
  return res;
}

Response Console::State::action(const Request& req, const console::Viewer& viewer, const std::string& id,
                                std::string_view what, const console::Params& form, const HttpConfig&) {
  const unsigned v = req.version();
  OperatorAction a;
  a.finding_id = id;
  std::string done;
  if (what == "mute") {
    a.kind = FindingAction::mute;
    done = "muted";
  } else if (what == "unmute") {
    a.kind = FindingAction::unmute;
    done = "unmuted";
  } else if (what == "ack") {
    a.kind = FindingAction::ack;
    done = "acknowledged";
  } else {
    return html(bhttp::status::not_found, v, console::message_page("Not found", "No such action.", &viewer));
  }
  if (!viewer.can_act) {
    CLOG(warning) << fmt::format("console: {} of {} by '{}' refused: the role '{}' cannot change findings", what, id,
                                 viewer.name, viewer.role);
    return html(bhttp::status::forbidden, v,
                console::message_page("Forbidden", "Only operators can change findings.", &viewer));
  }
  if (form.contains("reason")) a.reason = form.at("reason");
  if (form.contains("until")) a.until = form.at("until");
  const auto actor = Actor::console_user(viewer.name);
  try {
    apply_operator_action(store(), a, actor, opts.clock());
  } catch (const sql::SqliteError& e) {
    writer.reset();  // reopened next time
    CLOG(warning) << fmt::format("console: {} of {} by {} failed: {}", what, id, actor.label(), e.what());
    auto page = console::finding_page(db(), id, viewer, "",
                                      "The state database is busy (a cycle is being written); try again in a moment.",
                                      opts.clock());
    return html(bhttp::status::service_unavailable, v, page.value_or(""));
  } catch (const StateError& e) {
    // The store's message (no such finding, not muted, a reason is required...).
    auto page = console::finding_page(db(), id, viewer, "", e.what(), opts.clock());
    if (!page) return html(bhttp::status::not_found, v, console::message_page("Not found", e.what(), &viewer));
    return html(bhttp::status::unprocessable_entity, v, std::move(*page));
  }
  CLOG(info) << fmt::format("console: {} {} by {}", done, id, actor.label());
  return redirect(v, fmt::format("/findings/{}?done={}", id, done));
}

}  // namespace complyd::http
