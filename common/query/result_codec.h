// SPDX-License-Identifier: GPL-3.0-or-later
// Wire format of query results on smbtad's client port, and the server end of the query exchange
// (the client end is client/query_client.h).
//
// Exchange (V2 framing, docs/protocol.md, "Framing"): the client sends header + body
//   "QQ" + sub-block(query text)                       (text at most 9999 bytes)
// smbtad answers with header + body
//   "QR" + encode_results(tables)                       on success
//   "QE" + sub-block(message) + sub-block(kind digit)   on failure (message at most 9999 bytes)
// where the kind digit is QueryError::Kind (optional for clients: a missing kind means a
// database error). smbtad's generic error reply (sub-block "0" + sub-block "ERROR: ...", see
// docs/protocol.md) is understood too. The connection stays open for further queries.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/engine.h"
#include "query/result.h"

namespace smbta::query {

// Self-delimiting encoding of one table: "SMBTAR1:" then length-prefixed fields ("<n>:" +
// n bytes) and decimal counts. Exact for every value (integers in full, doubles round-trip).
std::string encode_result(const ResultTable& t);
// Throws std::runtime_error on anything malformed: bad magic, truncated or overlong fields,
// counts that cannot fit in the input, cells whose kind does not match the column type.
ResultTable decode_result(std::string_view bytes);

// Several tables (one per function of a query): "SMBTAM1:" + count + length-prefixed tables.
std::string encode_results(std::span<const ResultTable> tables);
// `max_trailing`: bytes allowed after the tables (the filler block of a decrypted reply).
std::vector<ResultTable> decode_results(std::string_view bytes, std::size_t max_trailing = 0);

// Server side: given the body of one received frame (already decrypted), returns the complete
// framed reply (header included), for a caller that sends it as it is (the codec tests).
// Bodies that are no "QQ" request give a "QE" reply too. Never throws for bad input; database
// exceptions become "QE" kind 2.
std::string serve_query_request(std::string_view body, store::DbiConnection& db,
                                const QueryOptions& opts);
// The same reply without the header, for a server that frames (and encrypts) replies itself:
// smbtad's query service.
std::string serve_query_body(std::string_view body, store::DbiConnection& db,
                             const QueryOptions& opts);
// A "QE" reply body.
std::string error_reply_body(QueryError::Kind kind, std::string_view message);
// True when a body is a query request (so that smbtad can route it; monitors start with "~~").
inline bool is_query_request(std::string_view body) {
  return body.size() >= 2 && body[0] == 'Q' && body[1] == 'Q';
}

// The body of a request: "QQ" + sub-block(text). Throws std::length_error for a query over
// 9999 bytes.
std::string query_request_body(std::string_view text);
// The request frame (unencrypted), for tests and other clients.
std::string encode_query_request(std::string_view text);

}  // namespace smbta::query
