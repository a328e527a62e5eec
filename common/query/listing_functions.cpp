// SPDX-License-Identifier: GPL-3.0-or-later
// The listing functions: list, search and last_activity (names and events, bounded in rows).
#include <fmt/format.h>

#include <set>
#include <vector>

#include "query/functions.h"
#include "query/sql_source.h"
#include "smbta/record.h"

namespace smbta::query {
namespace {

using store::DbiResult;

// Each statement asks for one row more than the limit, so that a cut is noticed and said.
void mark_truncated(ResultTable& t, std::size_t limit) {
  if (t.rows.size() > limit) {
    t.rows.resize(limit);
    t.notes.emplace_back("truncated", std::to_string(limit));
  }
}

// The rank of each op id among the events of one millisecond (see last_activity).
std::string session_order() {
  std::string out;
  int rank = 0;
  for (Op op : {Op::kChdir, Op::kMkdir, Op::kOpen, Op::kRead, Op::kPread, Op::kWrite, Op::kPwrite,
                Op::kCopy, Op::kClose, Op::kRename, Op::kUnlink, Op::kRmdir})
    out += fmt::format(" WHEN {} THEN {}", static_cast<int>(op), rank++);
  return out;
}
const std::string kSessionOrder = session_order();

std::string upper(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return o;
}

}  // namespace

ResultTable run_function(ExecContext& ctx, const List& fn, const Resolved& r,
                         const std::string& t) {
  ResultTable out;
  out.function = "list";
  out.title = fmt::format("List of {} {}", dimension_name(fn.what), t);
  out.notes.emplace_back("dimension", std::string(dimension_name(fn.what)));
  const std::uint32_t lim = ctx.row_limit();
  std::string sql;
  switch (fn.what) {
    case Dimension::kUsers:
      out.columns = {{"username", "Name", ColumnType::kText},
                     {"sid", "SID", ColumnType::kText},
                     {"domain", "Domain", ColumnType::kText}};
      sql = fmt::format(
          "SELECT u.username, u.usersid, u.domain FROM smbta_users u WHERE u.id IN (SELECT "
          "s.user_id FROM ({}) s) ORDER BY {}, {}, {} LIMIT {}",
          byte_source(r, Mode::kReadWrite, ctx), ctx.ordered("u.username"), ctx.ordered("u.domain"),
          ctx.ordered("u.usersid"), lim + 1);
      break;
    case Dimension::kDomains:
      out.columns = {{"domain", "Domain", ColumnType::kText}};
      sql = fmt::format(
          "SELECT u.domain FROM smbta_users u WHERE u.id IN (SELECT s.user_id FROM ({}) s) "
          "GROUP BY u.domain ORDER BY {} LIMIT {}",
          byte_source(r, Mode::kReadWrite, ctx), ctx.ordered("u.domain"), lim + 1);
      break;
    case Dimension::kShares:
      out.columns = {{"sharename", "Name", ColumnType::kText},
                     {"domain", "Domain", ColumnType::kText}};
      sql = fmt::format(
          "SELECT sh.value, u.domain FROM (SELECT DISTINCT s.share_id, s.user_id FROM ({}) s) "
          "x JOIN smbta_strings sh ON sh.id = x.share_id JOIN smbta_users u ON u.id = "
          "x.user_id GROUP BY sh.value, u.domain ORDER BY {}, {} LIMIT {}",
          byte_source(r, Mode::kReadWrite, ctx), ctx.ordered("sh.value"), ctx.ordered("u.domain"),
          lim + 1);
      break;
    case Dimension::kFiles:
      out.columns = {{"filename", "Name", ColumnType::kText},
                     {"sharename", "Share", ColumnType::kText}};
      sql = fmt::format(
          "SELECT f.value, sh.value FROM (SELECT DISTINCT s.share_id, s.file_id FROM ({}) s) x "
          "JOIN smbta_strings f ON f.id = x.file_id JOIN smbta_strings sh ON sh.id = "
          "x.share_id ORDER BY {}, {} LIMIT {}",
          file_pair_source(r, ctx), ctx.ordered("sh.value"), ctx.ordered("f.value"), lim + 1);
      break;
  }
  DbiResult res = ctx.query(sql);
  const auto ncols = static_cast<unsigned>(out.columns.size());
  while (res.next()) {
    std::vector<Cell> row;
    for (unsigned c = 1; c <= ncols; ++c) row.emplace_back(res.get_text(c).value_or(""));
    out.rows.push_back(std::move(row));
  }
  mark_truncated(out, lim);
  return out;
}

ResultTable run_function(ExecContext& ctx, const LastActivity& fn, const Resolved& r,
                         const std::string& t) {
  ResultTable out;
  out.function = "last_activity";
  out.title = fmt::format("Last activity {}", t);
  out.columns = {
      {"timestamp", "Time", ColumnType::kTimestamp}, {"vfs_func", "Operation", ColumnType::kText},
      {"user", "User", ColumnType::kText},           {"domain", "Domain", ColumnType::kText},
      {"share", "Share", ColumnType::kText},         {"file", "File", ColumnType::kText},
      {"bytes", "Bytes", ColumnType::kBytes},        {"comment", "Comment", ColumnType::kText}};
  if (fn.with_chdir) out.notes.emplace_back("with", "chdir");
  // The newest N through the time index, then shown oldest first (as the original did). Events
  // of one millisecond are put in the order they happen in a session (chdir, open, transfer,
  // close), not in op-id order, which showed a WRITE before its OPEN.
  const std::string order = fmt::format("CASE e.vfs_id {} ELSE 9 END", kSessionOrder);
  DbiResult res = ctx.query(fmt::format(
      "SELECT e.ts, e.vfs_id, u.username, u.domain, sh.value, f.value, f2.value, e.length, "
      "e.result, e.mode FROM (SELECT e.ts, e.vfs_id, e.user_id, e.share_id, e.file_id, "
      "e.file2_id, e.length, e.result, e.mode FROM smbta_events e WHERE 1 = 1{}{}{} ORDER BY e.ts "
      "DESC, {} DESC, "
      "COALESCE(e.file_id, 0) DESC LIMIT {}) e JOIN smbta_users u ON u.id = e.user_id JOIN "
      "smbta_strings sh "
      "ON sh.id = e.share_id LEFT JOIN smbta_strings f ON f.id = e.file_id LEFT JOIN "
      "smbta_strings f2 ON f2.id = e.file2_id ORDER BY e.ts, {}, COALESCE(e.file_id, 0)",
      fn.with_chdir ? "" : fmt::format(" AND e.vfs_id <> {}", static_cast<int>(Op::kChdir)),
      id_conditions(r, "e", true), raw_time(r.range.from, r.range.to), order, fn.n, order));
  while (res.next()) {
    const std::int64_t ts = res.get_int(1).value_or(0);
    const auto op = op_from_int(res.get_int(2).value_or(-1)).value_or(Op::kRead);
    const std::string user = res.get_text(3).value_or("");
    const std::string file = res.get_text(6).value_or("");
    const std::string file2 = res.get_text(7).value_or("");
    const auto length = res.get_int(8);
    const auto result = res.get_int(9);
    const std::int64_t arg = res.get_int(10).value_or(0);  // mode, size or attribute bits
    std::string msg;
    const std::string n = length ? std::to_string(*length) : "0";
    switch (op) {
      case Op::kRead:
      case Op::kPread:
        msg = fmt::format("User {} read {} bytes from file {}.", user, n, file);
        break;
      case Op::kWrite:
      case Op::kPwrite:
        msg = fmt::format("User {} wrote {} bytes to file {}.", user, n, file);
        break;
      case Op::kOpen:
        // "." is the share's top directory, which Samba opens for every listing; "opened
        // file .." read like a typo.
        msg = file == "." ? fmt::format("User {} opened the share's top directory.", user)
                          : fmt::format("User {} opened file {}.", user, file);
        break;
      case Op::kClose:
        msg = fmt::format("User {} closed file {}.", user, file);
        break;
      case Op::kRename:
        msg = fmt::format("User {} renamed {} to {}.", user, file, file2);
        break;
      case Op::kMkdir:
        msg = fmt::format("User {} created directory {}.", user, file);
        break;
      case Op::kRmdir:
        msg = fmt::format("User {} removed directory {}.", user, file);
        break;
      case Op::kChdir:
        msg = fmt::format("User {} changed to directory {}.", user, file);
        break;
      case Op::kUnlink:
        msg = fmt::format("User {} deleted file {}.", user, file);
        break;
      case Op::kCopy:
        msg = fmt::format("User {} copied {} bytes from {} to {}.", user, n, file, file2);
        break;
      // smbta additions: the size, mode or attribute bits are in file2 (the data view's
      // string2), not in length.
      case Op::kTruncate:
        msg = fmt::format("User {} truncated file {} to {} bytes.", user, file, arg);
        break;
      case Op::kAllocate:
        msg = fmt::format("User {} allocated {} bytes for file {}.", user, arg, file);
        break;
      case Op::kChmod:
        msg = fmt::format("User {} changed the mode of {} to {:o}.", user, file, arg);
        break;
      case Op::kChown:
        msg = fmt::format("User {} changed the owner of {} to {}.", user, file, file2);
        break;
      case Op::kSetAcl:
        msg = fmt::format("User {} changed the ACL of {}.", user, file);
        break;
      case Op::kSetAttr:
        msg = fmt::format("User {} changed the attributes of {} to 0x{:x}.", user, file, arg);
        break;
      case Op::kSetTimes:
        msg = fmt::format("User {} changed the times of {}.", user, file);
        break;
      case Op::kConnect:
        msg =
            fmt::format("User {} connected with {}{}.", user, file, (arg & 1) ? ", encrypted" : "");
        break;
      case Op::kDropNotice:  // never stored (smbtad logs it)
        msg = fmt::format("A module could not deliver {} records.", result.value_or(0));
        break;
    }
    if (result && static_cast<std::uint64_t>(*result) == kFailedResult)
      msg.insert(msg.size() - 1, " (failed)");
    Op shown = op == Op::kPread ? Op::kRead : op == Op::kPwrite ? Op::kWrite : op;
    std::vector<Cell> row{ts,
                          "VFS:" + upper(op_name(shown)),
                          user,
                          res.get_text(4).value_or(""),
                          res.get_text(5).value_or(""),
                          file,
                          length ? Cell(*length) : Cell(),
                          msg};
    out.rows.push_back(std::move(row));
  }
  return out;
}

ResultTable run_function(ExecContext& ctx, const Search& fn, const Resolved& r,
                         const std::string& t) {
  ResultTable out;
  out.function = "search";
  out.title = fmt::format("Search for '{}' {}.", fn.pattern, t);
  out.columns = {{"kind", "Kind", ColumnType::kText},
                 {"name", "Name", ColumnType::kText},
                 {"share", "Share", ColumnType::kText},
                 {"user", "User", ColumnType::kText},
                 {"domain", "Domain", ColumnType::kText}};
  out.notes.emplace_back("pattern", fn.pattern);
  out.notes.emplace_back("timestamp", ts_text(ctx.now()));
  // LIKE with '\' as the escape character on both drivers; a pattern without wildcards is a
  // substring search.
  std::string pat;
  for (char c : fn.pattern) {
    if (c == '\\') pat += '\\';
    pat += c;
  }
  if (fn.pattern.find_first_of("%_") == std::string::npos) pat = "%" + pat + "%";
  const std::string p = ctx.db().quote(pat) + " ESCAPE '\\'";
  const std::string lk = ctx.like();
  const std::uint32_t lim = ctx.row_limit();
  const std::string src = byte_source(r, Mode::kReadWrite, ctx);

  // Shares, with the domains of their users.
  DbiResult sh = ctx.query(fmt::format(
      "SELECT sh.value, u.domain FROM (SELECT DISTINCT s.share_id, s.user_id FROM ({}) s) x "
      "JOIN smbta_strings sh ON sh.id = x.share_id JOIN smbta_users u ON u.id = x.user_id "
      "WHERE sh.value {} {} GROUP BY sh.value, u.domain ORDER BY {}, {} LIMIT {}",
      src, lk, p, ctx.ordered("sh.value"), ctx.ordered("u.domain"), lim + 1));
  while (sh.next())
    out.rows.push_back(
        {"share", sh.get_text(1).value_or(""), Cell(), Cell(), sh.get_text(2).value_or("")});
  // Users, SIDs and domains from the users dictionary (restricted to users seen in the filter).
  DbiResult us = ctx.query(fmt::format(
      "SELECT u.username, u.usersid, u.domain, CASE WHEN u.username {0} {1} THEN 1 ELSE 0 END, "
      "CASE WHEN u.usersid {0} {1} THEN 1 ELSE 0 END, CASE WHEN u.domain {0} {1} THEN 1 ELSE 0 "
      "END FROM smbta_users u WHERE (u.username {0} {1} OR u.usersid {0} {1} OR u.domain {0} "
      "{1}) AND u.id IN (SELECT s.user_id FROM ({2}) s) ORDER BY {3}, {4}, {5} LIMIT {6}",
      lk, p, src, ctx.ordered("u.username"), ctx.ordered("u.domain"), ctx.ordered("u.usersid"),
      lim + 1));
  std::vector<std::vector<Cell>> users, sids;
  std::set<std::string> domains;
  while (us.next()) {
    const std::string name = us.get_text(1).value_or(""), sid = us.get_text(2).value_or(""),
                      dom = us.get_text(3).value_or("");
    if (us.get_int(4).value_or(0)) users.push_back({"user", name, Cell(), Cell(), dom});
    if (us.get_int(5).value_or(0)) sids.push_back({"sid", sid, Cell(), name, dom});
    if (us.get_int(6).value_or(0)) domains.insert(dom);
  }
  out.rows.insert(out.rows.end(), users.begin(), users.end());
  // Files: every event of a matching file path (the path dictionary is matched first).
  DbiResult fi = ctx.query(fmt::format(
      "SELECT f.value, sh.value, u.domain FROM (SELECT DISTINCT s.share_id, s.file_id, "
      "s.user_id FROM ({}) s WHERE s.file_id IN (SELECT id FROM smbta_strings WHERE value {} "
      "{})) x JOIN smbta_strings f ON f.id = x.file_id JOIN smbta_strings sh ON sh.id = "
      "x.share_id JOIN smbta_users u ON u.id = x.user_id GROUP BY f.value, sh.value, u.domain "
      "ORDER BY {}, {}, {} LIMIT {}",
      file_source(r, Mode::kReadWrite, ctx), lk, p, ctx.ordered("f.value"), ctx.ordered("sh.value"),
      ctx.ordered("u.domain"), lim + 1));
  while (fi.next())
    out.rows.push_back({"file", fi.get_text(1).value_or(""), fi.get_text(2).value_or(""), Cell(),
                        fi.get_text(3).value_or("")});
  out.rows.insert(out.rows.end(), sids.begin(), sids.end());
  for (const auto& d : domains) out.rows.push_back({"domain", d, Cell(), Cell(), Cell()});
  mark_truncated(out, lim);
  return out;
}

}  // namespace smbta::query
