// SPDX-License-Identifier: GPL-3.0-or-later
// Lexer and parser of the smbtaquery language into a QueryPlan, with positioned errors.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "query/plan.h"

namespace smbta::query {

// Why: a bad query must say which word is wrong and what was expected there, so that the user
// can fix it without reading the grammar (the original said "syntax error" or nothing at all).
class ParseError : public std::runtime_error {
 public:
  ParseError(std::string message, std::size_t pos, std::size_t len, std::string suggestion = {})
      : std::runtime_error(std::move(message)),
        pos_(pos),
        len_(len),
        suggestion_(std::move(suggestion)) {}
  std::size_t pos() const { return pos_; }  // byte offset into the query text
  std::size_t len() const { return len_; }
  const std::string& suggestion() const { return suggestion_; }  // closest expected word or ""

 private:
  std::size_t pos_, len_;
  std::string suggestion_;
};

// Longest accepted query text and word; longer input is rejected before any work.
inline constexpr std::size_t kMaxQueryLength = 64 * 1024;
inline constexpr std::size_t kMaxWordLength = 4096;

// Parses `text`. Relative times (now, today, yesterday, HH:MM) are resolved against `now_ms`
// (naive local milliseconds). Throws ParseError.
//
// Grammar (keywords case-insensitive, words separated by blanks, names may be quoted with '...'
// or "..." and use \ to escape the quote or backslash):
//   query    := statement (";" statement)* [";"]
//   statement:= item ("," item)*          -- each statement starts with a fresh (global) filter
//   item     := object | function
//   object   := "global" [time] | "system" | "share" NAME [time] | "file" NAME [time]
//             | "user" NAME ["sid" SID] [time] | "domain" NAME [time]
//   time     := "from" TIME "to" TIME | "since" TIME
//   TIME     := now | today | yesterday | YYYY-MM-DD [HH:MM[:SS]] | HH:MM[:SS]
//             | 'YYYY-MM-DD HH:MM:SS'
//   function := total MODE | list DIM | top N DIM MODE [asc|desc] | last_activity N
//             | usage MODE | 24h_usage MODE | search PATTERN | throughput N UNIT MODE
//             | smbtad-report (full|short) | self-check [offline|online]
QueryPlan parse(std::string_view text, std::int64_t now_ms);

// "error at column 9: unknown function 'totl'; did you mean 'total'?" followed by the query
// line and a caret line under the offending word.
std::string describe(const ParseError& e, std::string_view text);

// The -p help text of the language.
std::string_view language_help();

}  // namespace smbta::query
