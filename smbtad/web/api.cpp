// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/api.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "client_session.h"
#include "query/engine.h"
#include "query/format.h"
#include "query/parser.h"
#include "smbta/log.h"
#include "smbta/timestamp.h"
#include "store/event_store.h"

namespace smbtad::web {
namespace {

using json = nlohmann::json;
namespace q = smbta::query;

constexpr std::string_view kCookie = "smbta_session";
constexpr std::size_t kObjectsDefaultLimit = 100, kObjectsMaxLimit = 1000;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

void fail(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(Api::error_body(message), "application/json");
}

bool is_state_change(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// "text" is the contract's name for smbtaquery's default ascii output.
std::optional<q::Format> output_format(std::string_view name) {
  if (name.empty()) return q::Format::kJson;
  if (name == "text") return q::Format::kAscii;
  return q::parse_format(name);
}

std::string_view content_type(q::Format f) {
  switch (f) {
    case q::Format::kJson:
      return "application/json";
    case q::Format::kCsv:
      return "text/csv; charset=utf-8";
    case q::Format::kXml:
      return "application/xml";
    case q::Format::kHtml:
      return "text/html; charset=utf-8";
    case q::Format::kAscii:
      break;
  }
  return "text/plain; charset=utf-8";
}

// A time of the query language given as a parameter: only the characters TIME may hold, so the
// value cannot add words (or functions) to the query.
bool plain_time(std::string_view t) {
  return !t.empty() && t.size() <= 32 && std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == ' ';
  });
}

// A name as the query language quotes it: '...' with \ before ' and \.
std::string query_quoted(std::string_view name) {
  std::string out = "'";
  for (const char c : name) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

// The functions about the installation rather than the traffic: smbtad's configuration (its
// database host and user, paths), module versions and per-server loss. Admins see them under
// Admin; a viewer's query naming one is refused as a whole.
bool admin_only(const q::Step& step) {
  return std::holds_alternative<q::Report>(step.fn) ||
         std::holds_alternative<q::SelfCheck>(step.fn) || std::holds_alternative<q::Loss>(step.fn);
}

int status_for(q::QueryError::Kind k) {
  switch (k) {
    case q::QueryError::Kind::kSyntax:
    case q::QueryError::Kind::kAmbiguous:
      return 400;
    case q::QueryError::Kind::kNoSuchObject:
      return 404;
    case q::QueryError::Kind::kDatabase:
      break;
  }
  return 503;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string header(const httplib::Request& req, const char* name) {
  return req.get_header_value(name);
}

}  // namespace

std::string Api::error_body(std::string_view message) {
  return dump(json{{"error", message}});
}

std::string Api::cookie_value(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return {};
}

void add_security_headers(httplib::Response& res, bool tls) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                 "base-uri 'none'; form-action 'self'; object-src 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000");
}

// The dummy hash has the default cost, so that an unknown user's login takes as long as a known
// one's; no password derives to it (its salt and key are zeros), and smbtad's start does not pay
// a derivation for it.
Api::Api(ApiParts parts)
    : p_(std::move(parts)),
      dummy_hash_(fmt::format("scrypt${}${}${}${}${}", ScryptParams{}.n, ScryptParams{}.r,
                              ScryptParams{}.p, std::string(32, '0'), std::string(64, '0'))) {
  check_hash_format(dummy_hash_);
}

std::string Api::session_cookie(const std::string& token, std::chrono::seconds max_age) const {
  return fmt::format("{}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}", kCookie, token,
                     max_age.count(), p_.tls ? "; Secure" : "");
}

void Api::handle(const httplib::Request& req, httplib::Response& res) {
  add_security_headers(res, p_.tls);
  const std::string& path = req.path;
  const bool api = path.starts_with("/api/") || path == "/api";
  if (api) res.set_header("Cache-Control", "no-store");
  try {
    // A state change must come from a page of this origin: a browser sends Origin on every
    // cross-site POST, and SameSite=Strict already keeps the cookie off it.
    if (is_state_change(req.method) && req.has_header("Origin")) {
      const std::string origin = header(req, "Origin");
      const std::string host = header(req, "Host");
      const auto scheme_end = origin.find("://");
      if (host.empty() || scheme_end == std::string::npos || origin.substr(scheme_end + 3) != host)
        return fail(res, 403, "cross-origin request refused");
    }
    reload_users(false);
    if (api && path == "/api/login") {
      if (req.method != "POST") return fail(res, 405, "use POST");
      return login(req, res);
    }
    const std::string token = cookie_value(header(req, "Cookie"), kCookie);
    const std::optional<Session> s =
        token.empty() ? std::nullopt : p_.sessions.use(token, p_.now());
    if (!api) return page(req, res, s.has_value());
    if (!s) return fail(res, 401, "not logged in");
    if (is_state_change(req.method) && !SessionTable::csrf_matches(*s, header(req, "X-CSRF-Token")))
      return fail(res, 403, "missing or wrong X-CSRF-Token");
    if (path == "/api/session" && req.method == "GET") return session_info(*s, res);
    if (path == "/api/logout" && req.method == "POST") {
      p_.sessions.remove(token);
      res.status = 204;
      res.set_header("Set-Cookie", session_cookie("", std::chrono::seconds(0)));
      return;
    }
    if (path == "/api/password" && req.method == "POST") return change_password(req, res, *s);
    if (path == "/api/query" && req.method == "GET") return query(req, res, *s);
    if (path == "/api/objects" && req.method == "GET") return objects(req, res);
    if (path == "/api/live" && req.method == "GET") return live(req, res);
    if (path.starts_with("/api/admin/")) {
      if (s->role != Role::kAdmin) return fail(res, 403, "this needs the admin role");
      if (path == "/api/admin/report" && req.method == "GET") return admin_report(res);
      if (path == "/api/admin/users" || path.starts_with("/api/admin/users/"))
        return admin_users(req, res, *s);
    }
    return fail(res, 404, "no such API endpoint: " + req.method + " " + path);
  } catch (const std::exception& e) {
    smbta::log::error("web: {} {}: {}", req.method, path, e.what());
    return fail(res, 500, std::string("internal error: ") + e.what());
  }
}

void Api::login(const httplib::Request& req, httplib::Response& res) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("user") || !body.contains("password") ||
      !body["user"].is_string() || !body["password"].is_string())
    return fail(res, 400, "expected {\"user\": \"...\", \"password\": \"...\"}");
  const std::string user = body["user"].get<std::string>();
  const std::string password = body["password"].get<std::string>();
  const auto now = p_.now();
  const auto wait = password_wait(user, req.remote_addr);
  if (wait.count() > 0) {
    res.set_header("Retry-After", std::to_string(wait.count()));
    return fail(res, 429, fmt::format("too many failed logins; try again in {} s", wait.count()));
  }
  const std::optional<WebUser> u = p_.users.find(user);
  // An unknown user costs the same derivation as a known one: timing does not tell them apart.
  const bool ok = verify_password(password, u ? u->hash : dummy_hash_) && u.has_value();
  if (!ok) {
    password_failed(user, req.remote_addr);
    smbta::log::notice("web: failed login for user {} from {}", printable(user, 64),
                       req.remote_addr);
    return fail(res, 401, "wrong user or password");
  }
  // Only the user's count starts afresh: the address's keeps slowing a guesser who also has
  // an account of their own.
  p_.limiter.success("u:" + user.substr(0, 64));
  const std::string token = p_.sessions.create(u->name, u->role, now);
  const auto s = p_.sessions.use(token, now);
  res.set_header("Set-Cookie", session_cookie(token, p_.sessions.limits().absolute));
  smbta::log::debug(1, "web: {} logged in from {}", u->name, req.remote_addr);
  session_info(*s, res);
}

std::chrono::seconds Api::password_wait(const std::string& user, const std::string& addr) {
  const auto now = p_.now();
  return std::max(p_.limiter.retry_after("u:" + user.substr(0, 64), now),
                  p_.limiter.retry_after("a:" + addr, now));
}

void Api::password_failed(const std::string& user, const std::string& addr) {
  // The delay counts from the answer, not from the request: the derivation itself may take
  // longer than the first delay on a busy machine.
  const auto failed_at = p_.now();
  p_.limiter.failure("u:" + user.substr(0, 64), failed_at);
  p_.limiter.failure("a:" + addr, failed_at);
}

void Api::reload_users(bool force) {
  if (!force) {
    const std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(p_.now().time_since_epoch()).count();
    std::int64_t last = users_checked_ms_.load();
    // One thread looks, the others go on with the users as they are.
    if (last >= 0 && now_ms - last < 1000) return;
    if (!users_checked_ms_.compare_exchange_strong(last, now_ms)) return;
  }
  UsersReload r;
  try {
    r = p_.users.reload(force);
  } catch (const std::exception& e) {
    smbta::log::error("web: users file not re-read, its users stay as they were: {}", e.what());
    return;
  }
  end_changed_sessions(r);
  if (r.reread)
    smbta::log::notice(
        "web: users file {} re-read: {} users; sessions of {} changed or removed "
        "users ended",
        p_.users.path(), r.users, r.ended.size());
}

void Api::end_changed_sessions(const UsersReload& r) {
  for (const auto& name : r.ended) p_.sessions.remove_user(name);
}

void Api::change_password(const httplib::Request& req, httplib::Response& res, const Session& s) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("current") || !body["current"].is_string() ||
      !body.contains("password") || !body["password"].is_string())
    return fail(res, 400, "expected {\"current\": \"...\", \"password\": \"...\"}");
  const std::string current = body["current"].get<std::string>();
  const std::string password = body["password"].get<std::string>();
  const auto wait = password_wait(s.user, req.remote_addr);
  if (wait.count() > 0) {
    res.set_header("Retry-After", std::to_string(wait.count()));
    return fail(res, 429, fmt::format("too many wrong passwords; try again in {} s", wait.count()));
  }
  const std::optional<WebUser> u = p_.users.find(s.user);
  // A stolen session cookie alone must not be enough to take the account over: 403, not 401
  // (the session itself is fine; the page must not send the user to the login).
  if (!u || !verify_password(current, u->hash)) {
    password_failed(s.user, req.remote_addr);
    smbta::log::notice("web: wrong current password from {} for user {} changing it",
                       req.remote_addr, printable(s.user, 64));
    return fail(res, 403, "the current password is wrong");
  }
  if (password.size() < 8) return fail(res, 400, "the password needs at least 8 characters");
  p_.limiter.success("u:" + s.user.substr(0, 64));
  p_.users.put({u->name, u->role, hash_password(password)});
  end_changed_sessions(p_.users.reload(false));
  // Every session of the user ends (another browser, a stolen cookie); this one goes on under
  // a fresh token and CSRF token.
  p_.sessions.remove_user(u->name);
  const auto now = p_.now();
  const std::string token = p_.sessions.create(u->name, u->role, now);
  const auto fresh = p_.sessions.use(token, now);
  res.set_header("Set-Cookie", session_cookie(token, p_.sessions.limits().absolute));
  smbta::log::notice("web: {} changed their password (from {})", u->name, req.remote_addr);
  session_info(*fresh, res);
}

void Api::session_info(const Session& s, httplib::Response& res) {
  reply(res, 200, {{"user", s.user}, {"role", role_name(s.role)}, {"csrf", s.csrf}});
}

void Api::query(const httplib::Request& req, httplib::Response& res, const Session& s) {
  const std::string text = req.get_param_value("q");
  if (text.empty()) return fail(res, 400, "missing parameter q (the query text)");
  const auto format = output_format(req.get_param_value("format"));
  if (!format) return fail(res, 400, "format: use json, csv, xml, html or text");
  const std::string from = req.get_param_value("from"), to = req.get_param_value("to");
  if ((!from.empty() && !plain_time(from)) || (!to.empty() && !plain_time(to)))
    return fail(res, 400, "from/to: a time of the query language (e.g. 2026-12-01 08:00, today)");
  if (!p_.db) return fail(res, 503, "this smbtad keeps no database (-U 0)");
  const std::int64_t now = p_.query_now_ms ? p_.query_now_ms : smbta::local_now_ms();
  q::QueryOptions qo;
  qo.now_ms = now;
  std::vector<q::ResultTable> tables;
  try {
    q::QueryPlan plan;
    try {
      plan = q::parse(text, now);
    } catch (const q::ParseError& e) {
      throw q::QueryError(q::QueryError::Kind::kSyntax, q::describe(e, text));
    }
    if (s.role != Role::kAdmin && std::ranges::any_of(plan.steps, admin_only))
      return fail(res, 403, "smbtad-report, self-check and loss need the admin role");
    if (!from.empty() || !to.empty()) {
      // The range as the language parses it, applied to every object of every step.
      const std::string range_text = from.empty() ? "global to " + to
                                     : to.empty() ? "global since " + from
                                                  : "global from " + from + " to " + to;
      q::QueryPlan rp;
      try {
        rp = q::parse(range_text + ", total rw;", now);
      } catch (const q::ParseError& e) {
        throw q::QueryError(q::QueryError::Kind::kSyntax, q::describe(e, range_text));
      }
      const auto range = rp.steps.at(0).filter.objects.at(0).range;
      for (auto& step : plan.steps) {
        if (step.filter.objects.empty()) step.filter.objects.push_back({});
        for (auto& o : step.filter.objects) o.range = range;
      }
    }
    auto lease = p_.db->lease();
    try {
      tables = q::execute(plan, *lease, qo);
    } catch (const q::QueryError& e) {
      if (e.kind() == q::QueryError::Kind::kDatabase) lease.discard();
      throw;
    }
  } catch (const q::QueryError& e) {
    return fail(res, status_for(e.kind()), e.what());
  } catch (const smbta::store::StoreError& e) {
    return fail(res, 503, std::string("database: ") + e.what());
  }
  // The same footer smbtaquery writes: its time is the query's now.
  const q::RenderOptions ro{now, std::string(q::engine_version())};
  res.status = 200;
  res.set_content(q::render(*format, tables, ro), std::string(content_type(*format)));
}

void Api::objects(const httplib::Request& req, httplib::Response& res) {
  const std::string kind = req.get_param_value("kind");
  if (kind != "domains" && kind != "shares" && kind != "users" && kind != "files")
    return fail(res, 400, "kind: use domains, shares, users or files");
  std::size_t limit = kObjectsDefaultLimit;
  if (req.has_param("limit")) {
    const std::string l = req.get_param_value("limit");
    std::uint64_t n = 0;
    if (l.empty() || l.size() > 6 || !std::all_of(l.begin(), l.end(), ::isdigit) ||
        (n = std::stoull(l)) < 1 || n > kObjectsMaxLimit)
      return fail(res, 400, fmt::format("limit: a number from 1 to {}", kObjectsMaxLimit));
    limit = n;
  }
  if (!p_.db) return fail(res, 503, "this smbtad keeps no database (-U 0)");
  std::string text;
  for (const char* f : {"domain", "share", "user"}) {
    const std::string v = req.get_param_value(f);
    if (!v.empty()) text += fmt::format("{} {}, ", f, query_quoted(v));
  }
  text += "list " + kind + ";";
  const std::string match = lower(req.get_param_value("match"));
  q::QueryOptions qo;
  qo.now_ms = p_.query_now_ms;
  // Names that are not stored list nothing instead of failing: the browser asks as it types.
  qo.identify = false;
  std::vector<q::ResultTable> tables;
  try {
    auto lease = p_.db->lease();
    tables = q::run(text, *lease, qo);
  } catch (const q::QueryError& e) {
    return fail(res, status_for(e.kind()), e.what());
  } catch (const smbta::store::StoreError& e) {
    return fail(res, 503, std::string("database: ") + e.what());
  }
  json items = json::array();
  bool truncated = false;
  if (!tables.empty()) {
    const q::ResultTable& t = tables.front();
    truncated = t.note("truncated") != nullptr;
    for (const auto& row : t.rows) {
      if (row.empty()) continue;
      const auto* name = std::get_if<std::string>(&row[0]);
      if (!name) continue;
      if (!match.empty() && lower(*name).find(match) == std::string::npos) continue;
      if (items.size() >= limit) {
        truncated = true;
        break;
      }
      items.push_back(*name);
    }
  }
  reply(res, 200, {{"kind", kind}, {"items", items}, {"truncated", truncated}});
}

void Api::live(const httplib::Request& req, httplib::Response& res) {
  const auto spec = parse_live_object(req.get_param_value("object"));
  if (!spec)
    return fail(res, 400, "object: global, domain:NAME, share:NAME, user:NAME or file:NAME");
  if (!p_.live) return fail(res, 503, "no live feed here");
  std::shared_ptr<LiveStream> stream = p_.live->open(*spec);
  if (!stream) return fail(res, 503, "too many live views are open; close one and try again");
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  LiveFeed* feed = p_.live;
  res.set_chunked_content_provider(
      "text/event-stream",
      [stream, started = false](std::size_t, httplib::DataSink& sink) mutable {
        std::string out;
        if (!started) {
          out = "retry: 2000\n: live\n\n";
          started = true;
        }
        const bool more = stream->wait(out, std::chrono::milliseconds(1000));
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (!more) sink.done();
        return true;
      },
      [feed, stream](bool) { feed->close(stream); });
}

void Api::admin_report(httplib::Response& res) {
  if (!p_.db) return fail(res, 503, "this smbtad keeps no database (-U 0)");
  q::QueryOptions qo;
  qo.now_ms = p_.query_now_ms ? p_.query_now_ms : smbta::local_now_ms();
  std::vector<q::ResultTable> tables;
  try {
    auto lease = p_.db->lease();
    tables = q::run("smbtad-report full; self-check;", *lease, qo);
  } catch (const q::QueryError& e) {
    return fail(res, status_for(e.kind()), e.what());
  } catch (const smbta::store::StoreError& e) {
    return fail(res, 503, std::string("database: ") + e.what());
  }
  res.status = 200;
  res.set_content(q::render_json(tables, {qo.now_ms, std::string(q::engine_version())}),
                  "application/json");
}

void Api::admin_users(const httplib::Request& req, httplib::Response& res, const Session& s) {
  if (req.path == "/api/admin/users" && req.method == "GET") {
    json users = json::array();
    for (const auto& u : p_.users.list())
      users.push_back({{"user", u.name}, {"role", role_name(u.role)}});
    return reply(res, 200, {{"users", users}});
  }
  if (req.path == "/api/admin/users" && req.method == "POST") {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("user") || !body["user"].is_string() ||
        !body.contains("password") || !body["password"].is_string())
      return fail(res, 400, "expected {\"user\": ..., \"password\": ..., \"role\": ...}");
    WebUser u;
    u.name = body["user"].get<std::string>();
    if (!UsersFile::valid_name(u.name))
      return fail(res, 400, "a user name has 1-64 characters, no ':' or blanks");
    const std::string password = body["password"].get<std::string>();
    if (password.size() < 8) return fail(res, 400, "the password needs at least 8 characters");
    const std::string role = body.contains("role") && body["role"].is_string()
                                 ? body["role"].get<std::string>()
                                 : "viewer";
    const auto r = parse_role(role);
    if (!r) return fail(res, 400, "role: admin or viewer");
    u.role = *r;
    u.hash = hash_password(password);
    const bool existed = p_.users.find(u.name).has_value();
    const std::string name = u.name;
    try {
      p_.users.put(std::move(u), true);
    } catch (const LastAdminError& e) {
      return fail(res, 409, e.what());
    }
    end_changed_sessions(p_.users.reload(false));
    // A changed password or role takes effect at once: the user's sessions end.
    if (existed) p_.sessions.remove_user(name);
    smbta::log::notice("web: {} {} web user {} ({})", s.user, existed ? "changed" : "added", name,
                       role);
    return reply(res, existed ? 200 : 201, {{"user", name}, {"role", role}});
  }
  if (req.path.starts_with("/api/admin/users/") && req.method == "DELETE") {
    const std::string name = req.path.substr(std::string_view("/api/admin/users/").size());
    if (name == s.user) return fail(res, 409, "you cannot delete your own account");
    try {
      if (!p_.users.remove(name, true)) return fail(res, 404, "no such web user");
    } catch (const LastAdminError& e) {
      return fail(res, 409, e.what());
    }
    end_changed_sessions(p_.users.reload(false));
    p_.sessions.remove_user(name);
    smbta::log::notice("web: {} removed web user {}", s.user, name);
    res.status = 204;
    return;
  }
  fail(res, 405, "method not allowed");
}

void Api::page(const httplib::Request& req, httplib::Response& res, bool logged_in) {
  if (req.method != "GET" && req.method != "HEAD") return fail(res, 405, "method not allowed");
  const bool open = req.path == "/login.html" || req.path.starts_with("/assets/");
  if (!logged_in && !open) {
    res.status = 302;
    res.set_header("Location", "/login.html");
    res.set_header("Cache-Control", "no-store");
    return;
  }
  if (!p_.files) return fail(res, 404, "not found");
  auto f = p_.files->load(req.path);
  if (!f) {
    res.status = 404;
    res.set_header("Cache-Control", "no-store");
    res.set_content("not found\n", "text/plain; charset=utf-8");
    return;
  }
  res.status = 200;
  res.set_header("Cache-Control", f->cache_control);
  res.set_content(std::move(f->body), f->content_type);
}

}  // namespace smbtad::web
