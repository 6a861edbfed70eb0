// The waggle subcommands. main.cc only parses flags and calls these.
#pragma once

#include <string>
#include <vector>

namespace waggle::cli {

struct ServeFlags {
  std::string data_dir = "./waggle-data";
  std::string http = "127.0.0.1:4318";
  std::string grpc = "127.0.0.1:4317";
  std::string xray = "127.0.0.1:2000";
  std::vector<std::string> api_keys;
  std::string retention;  // empty: keep everything
  std::string max_disk;   // empty: no limit
  std::string flush_bytes = "64MiB";
  std::string flush_interval = "10s";
};

struct TraceFlags {
  std::string trace_id;
  std::string server = "http://127.0.0.1:4318";
  std::string api_key;
};

int RunServe(const ServeFlags& flags);
int RunTrace(const TraceFlags& flags);

}  // namespace waggle::cli
