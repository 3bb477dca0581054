// SPDX-License-Identifier: Apache-2.0
// The HTTP API as plain functions: request + immutable snapshot + settings in,
// response out (the Beast examples' handle_request style). No I/O, no
// database; errors never echo anything from the request.
#pragma once

#include "daemon/util/prelude.hpp"

#include <boost/beast/http.hpp>
#include <memory>

#include "daemon/config/config.hpp"
#include "daemon/http/snapshot.hpp"

namespace complyd::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

Response handle_request(const Request& req, const Snapshot* snap, const HttpConfig& cfg);

// A fixed error response (also used by the server for parse errors and limits).
Response error_response(bhttp::status status, unsigned version, const std::string& message);

// Prometheus text exposition format 0.0.4.
std::string render_metrics(const Snapshot* snap);

// The name of the configured token when `authorization` is "Bearer <token>"
// and SHA-256(token) is one of theirs; every hash is compared, in constant time.
std::optional<std::string> authenticated_token(std::string_view authorization, const std::vector<HttpToken>& tokens);

}  // namespace complyd::http
