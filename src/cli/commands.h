// The waggle subcommands. main.cc only parses flags and calls these.
#pragma once

#include <string>
#include <vector>

namespace waggle::cli {

struct ServeFlags {
  std::string data_dir = "./waggle-data";
  std::string store = "embedded";  // or clickhouse://HOST:8123/DB
  std::string clickhouse_retry = "10s";  // a failing insert is retried this long, then 503
  std::string http = "127.0.0.1:4318";
  std::string grpc = "127.0.0.1:4317";
  std::string ui_dir;  // empty: the ui directory beside the binary
  std::string tls_cert;
  std::string tls_key;
  std::string xray = "127.0.0.1:2000";  // "off": no X-Ray daemon port
  std::string xray_team = "default";    // the team the daemon port's data belongs to
  std::vector<std::string> api_keys;
  std::vector<std::string> aws_access_keys;  // ID:SECRET, for SigV4 on the X-Ray API
  std::string retention;  // empty: keep everything
  std::string max_disk;   // empty: no limit
  std::string flush_bytes = "32MiB";
  std::string memory_budget = "2GiB";
  std::string header_timeout = "10s";
  int64_t max_connections = 10000;
  std::string flush_interval = "10s";
};

struct TraceFlags {
  std::string trace_id;
  std::string server = "http://127.0.0.1:4318";
  std::string api_key;
};

struct LoadgenFlags {
  std::string endpoint = "http://127.0.0.1:4318";
  std::string protocol = "http/protobuf";
  std::string api_key;
  double rate = 0;  // spans per second; 0: as fast as the server answers
  std::string duration = "10s";
  uint64_t max_spans = 0;  // stop after this many (0: run for --duration)
  size_t batch = 512;
  size_t workers = 4;
  size_t pool = 256;
  uint64_t seed = 1;
  bool json = false;
  std::string trace_ids_out;  // write the first trace id of every 100th request here
  std::string write_body;     // write one request body here and exit (for wrk and curl)
};

struct QueryFlags {
  std::string query;  // the text form or a JSON spec
  std::string file;   // ... or read from this file
  std::string dataset = "__all__";
  std::string server = "http://127.0.0.1:4318";
  std::string api_key;
  bool json = false;
  bool series = false;
  int timeout_seconds = 120;
};

int RunServe(const ServeFlags& flags);
int RunQuery(const QueryFlags& flags);
int RunTrace(const TraceFlags& flags);
int RunLoadgen(const LoadgenFlags& flags);

}  // namespace waggle::cli
