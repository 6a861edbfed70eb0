// ClickHouse's HTTP interface (port 8123), as the ClickHouse store uses it: one request per
// call, the statement in the `query` URL parameter and the data (an INSERT's rows) as the
// body, or the statement itself as the body. ClickHouse's own error text is kept in the
// status, since it says what is wrong ("Table ... doesn't exist", "Memory limit ...").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace waggle::clickhouse {

struct ClickHouseEndpoint {
  std::string host;
  std::string port;
  std::string database;
  std::string user;  // empty: ClickHouse's default user
  std::string password;

  std::string ToString() const;  // http://host:port/database, without the password
};

// clickhouse://HOST[:PORT]/DB (also http://...); the port defaults to 8123, the database to
// `waggle`; `?user=U&password=P` are taken too.
absl::StatusOr<ClickHouseEndpoint> ParseClickHouseUrl(std::string_view url);

// Quotes a string as an SQL literal: '...' with \ and ' escaped.
std::string SqlString(std::string_view text);

class ClickHouseClient {
 public:
  explicit ClickHouseClient(ClickHouseEndpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  const ClickHouseEndpoint& endpoint() const { return endpoint_; }

  // Runs `sql` with `data` as its input (an INSERT ... FORMAT's rows), or `sql` alone.
  // kUnavailable when ClickHouse cannot be reached or answers 5xx with a connection problem;
  // kInvalidArgument / kInternal with ClickHouse's message otherwise; kOutOfRange (as a query
  // over its memory budget: narrow it) when the answer exceeds `max_response_bytes`.
  absl::StatusOr<std::string> Execute(std::string_view sql, std::string_view data = {},
                                      uint64_t max_response_bytes = 1ull << 30) const;

 private:
  const ClickHouseEndpoint endpoint_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace waggle::clickhouse
