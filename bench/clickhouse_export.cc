// Exports the spans of a Waggle data directory for the ClickHouse comparison:
//   clickhouse_export DATA_DIR TABLE SCHEMA_OUT [--schema-only] > rows.tsv
// SCHEMA_OUT gets a CREATE TABLE for a MergeTree with Waggle's fixed columns and one column
// per attribute key and type (what Waggle's parts hold, without the origin split), ordered
// like Waggle's parts by (trace_id, start time) and partitioned by hour. Ids are binary
// FixedString, absent attributes their type's default (no Nullable): the layout most
// favourable to ClickHouse. Rows go to stdout as TabSeparated. Reads the manifest's parts;
// the server must be stopped.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "store/manifest.h"
#include "store/part_reader.h"
#include "absl/strings/str_format.h"

using waggle::model::AttributeType;
using waggle::model::Event;

namespace {

struct Column {
  std::string name;
  AttributeType type;
};

void Escape(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\\': out->append("\\\\"); break;
      case '\0': out->append("\\0"); break;
      case '\r': out->append("\\r"); break;
      default: out->push_back(c);
    }
  }
}

const char* TypeName(AttributeType t) {
  switch (t) {
    case AttributeType::kString: return "String";
    case AttributeType::kInt: return "Int64";
    case AttributeType::kDouble: return "Float64";
    case AttributeType::kBool: return "UInt8";
  }
  return "String";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: clickhouse_export DATA_DIR TABLE SCHEMA_OUT > rows.tsv\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto manifest = waggle::store::LoadManifest(dir + "/MANIFEST");
  if (!manifest.ok()) {
    std::fprintf(stderr, "%s\n", std::string(manifest.status().message()).c_str());
    return 1;
  }
  std::vector<std::shared_ptr<waggle::store::PartReader>> parts;
  std::map<std::pair<std::string, AttributeType>, size_t> columns;  // (key, type) -> index
  std::vector<Column> column_list;
  for (uint64_t id : manifest->part_ids) {
    auto part = waggle::store::PartReader::Open(absl::StrFormat("%s/parts/%020d.part", dir, id));
    if (!part.ok()) {
      std::fprintf(stderr, "%s\n", std::string(part.status().message()).c_str());
      return 1;
    }
    for (const auto& c : (*part)->footer().columns) {
      if (!c.is_attribute()) continue;
      if (columns.emplace(std::make_pair(c.key, c.type), column_list.size()).second) {
        // A key seen with two types gets the type as a suffix the second time.
        bool taken = false;
        for (const Column& existing : column_list) taken |= existing.name == c.key;
        column_list.push_back({taken ? c.key + "." + TypeName(c.type) : c.key, c.type});
      }
    }
    parts.push_back(std::move(*part));
  }
  {
    std::ofstream schema(argv[3]);
    schema << "CREATE TABLE " << argv[2] << " (\n"
           << "  trace_id FixedString(16), span_id FixedString(8), parent_span_id FixedString(8),\n"
           << "  start_time_unix_nano UInt64, duration_nano UInt64, dataset String, name String,\n"
           << "  service_name String, kind UInt8, status_code UInt8, status_message String,\n"
           << "  sample_rate UInt32, annotation_type UInt8, scope_name String, scope_version String,\n"
           << "  trace_state String, flags UInt32, num_events UInt32, num_links UInt32,\n"
           << "  link_trace_id FixedString(16), link_span_id FixedString(8), invalid_duration UInt8";
    for (const Column& c : column_list) schema << ",\n  `" << c.name << "` " << TypeName(c.type);
    schema << "\n) ENGINE = MergeTree()\nPARTITION BY intDiv(start_time_unix_nano, 3600000000000)\n"
           << "ORDER BY (trace_id, start_time_unix_nano)\n";
  }
  if (argc > 4 && std::string(argv[4]) == "--schema-only") return 0;
  std::string line;
  std::vector<std::string> values(column_list.size());
  uint64_t rows = 0;
  for (const auto& part : parts) {
    for (size_t b = 0; b < part->footer().blocks.size(); ++b) {
      auto events = part->ReadEvents(b, 0, part->footer().blocks[b].rows);
      if (!events.ok()) {
        std::fprintf(stderr, "%s\n", std::string(events.status().message()).c_str());
        return 1;
      }
      for (const Event& e : *events) {
        line.clear();
        auto field = [&](std::string_view s) { Escape(s, &line); line.push_back('\t'); };
        auto number = [&](auto v) { line.append(std::to_string(v)); line.push_back('\t'); };
        field(e.trace_id.AsBytes());
        field(e.span_id.AsBytes());
        field(e.parent_span_id.AsBytes());
        number(e.time_unix_nano);
        number(e.duration_nano);
        field(e.dataset);
        field(e.name);
        field(e.service_name);
        number(static_cast<int>(e.kind));
        number(static_cast<int>(e.status_code));
        field(e.status_message);
        number(e.sample_rate);
        number(static_cast<int>(e.annotation_type));
        field(e.scope_name);
        field(e.scope_version);
        field(e.trace_state);
        number(e.flags);
        number(e.num_events);
        number(e.num_links);
        field(e.link_trace_id.AsBytes());
        field(e.link_span_id.AsBytes());
        number(e.invalid_duration ? 1 : 0);
        for (size_t i = 0; i < column_list.size(); ++i) {
          // (assign, not "=" of a literal: g++ 12 reports a false -Wrestrict for that)
          if (column_list[i].type == AttributeType::kString) values[i].clear();
          else values[i].assign(1, '0');
        }
        for (const auto& f : e.fields) {
          size_t index = columns.at({f.key, waggle::model::TypeOf(f.value)});
          std::string& v = values[index];
          v.clear();
          std::visit(
              [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::string>) Escape(x, &v);
                else if constexpr (std::is_same_v<T, double>) v = absl::StrFormat("%.17g", x);
                else v = std::to_string(static_cast<int64_t>(x));
              },
              f.value);
        }
        for (const std::string& v : values) {
          line.append(v);
          line.push_back('\t');
        }
        line.back() = '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
        ++rows;
      }
    }
  }
  std::fprintf(stderr, "exported %llu rows, %zu attribute columns\n", static_cast<unsigned long long>(rows),
               column_list.size());
  return 0;
}
