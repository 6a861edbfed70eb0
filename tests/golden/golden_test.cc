// Golden query tests: every tests/golden/cases/*.test file holds input events, queries and
// the results they must give (DuckDB's .test files are the model). A new case is a new
// file, not new C++.
//
//   # comment
//   load <dataset>                 Honeycomb batch elements, one per line, until a blank line:
//   {"time":"2026-01-01T00:00:00Z","samplerate":2,"data":{"name":"a","duration_ms":5}}
//
//   load-otlp                      OTLP/JSON ExportTraceServiceRequests, one per line
//   {"resourceSpans":[...]}
//
//   block-rows <n>                 rows per block of the parts (default 4: queries cross many
//                                  units and skip some)
//
//   query <dataset|__all__> [series]   a JSON spec or the text form (query/query_text.h),
//   COUNT GROUP BY name START 2026-01-01T00:00:00Z END 2026-01-01T01:00:00Z
//   ----
//   {"COUNT":2,"name":"a"}         expected results, one JSON object per row, in order; with
//   @2026-01-01T00:00:00Z {...}    `series`, then the series rows as @time {data}
//   (or: error: <regex the error message must match>)
//
// Each query is checked several ways that must all agree (DuckDB's verification): from the
// in-memory head with 1 and 2 threads, then after the store writes everything out as parts
// and merges them. WAGGLE_GOLDEN_REWRITE=1 rewrites the expectations from what the engine
// answers now (review the diff).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/clickhouse/clickhouse_store.h"
#include "common/strings.h"
#include "ingest/honeycomb_events.h"
#include "ingest/otlp_request.h"
#include "ingest/otlp_span_mapper.h"
#include "query/query_executor.h"
#include "query/query_result_json.h"
#include "query/query_text.h"
#include "store/column_cache.h"
#include "store/embedded_store.h"

namespace waggle {
namespace {

namespace fs = std::filesystem;

// Parts are read through the column cache, as a server reads them: each case runs several
// times over the same parts, so the later runs answer from cached columns.
const bool kColumnCacheOn = (store::ColumnCache::Shared().SetCapacity(64 << 20), true);
using Json = nlohmann::json;

struct QueryCase {
  size_t line = 0;
  std::string dataset;
  bool series = false;
  std::string text;
  std::vector<std::string> expected;
  size_t expected_begin = 0, expected_end = 0;  // line range of the expectation in the file
};

struct LoadSection {
  size_t line = 0;
  bool otlp = false;
  std::string dataset;
  std::vector<std::string> lines;
};

struct GoldenFile {
  std::vector<std::string> lines;
  uint32_t block_rows = 4;  // tiny blocks: queries cross many units and skip some
  std::vector<LoadSection> loads;
  std::vector<QueryCase> queries;
};

std::vector<std::string> ReadLines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

GoldenFile ParseGolden(const fs::path& path) {
  GoldenFile file;
  file.lines = ReadLines(path);
  const auto& lines = file.lines;
  size_t i = 0;
  auto blank = [&](size_t k) { return k >= lines.size() || TrimAsciiWhitespace(lines[k]).empty(); };
  while (i < lines.size()) {
    const std::string& line = lines[i];
    if (blank(i) || line.starts_with("#")) {
      ++i;
      continue;
    }
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    if (keyword == "block-rows") {
      words >> file.block_rows;
      ++i;
    } else if (keyword == "load" || keyword == "load-otlp") {
      LoadSection load;
      load.line = i + 1;
      load.otlp = keyword == "load-otlp";
      words >> load.dataset;
      for (++i; !blank(i); ++i) {
        if (!lines[i].starts_with("#")) load.lines.push_back(lines[i]);
      }
      file.loads.push_back(std::move(load));
    } else if (keyword == "query") {
      QueryCase q;
      q.line = i + 1;
      words >> q.dataset;
      std::string flag;
      while (words >> flag) q.series |= flag == "series";
      for (++i; i < lines.size() && lines[i] != "----"; ++i) StrAppend(&q.text, q.text.empty() ? "" : "\n", lines[i]);
      ++i;  // ----
      q.expected_begin = i;
      for (; !blank(i); ++i) q.expected.push_back(lines[i]);
      q.expected_end = i;
      file.queries.push_back(std::move(q));
    } else {
      ADD_FAILURE() << path << ":" << i + 1 << ": expected block-rows, load, load-otlp or query, got: " << line;
      ++i;
    }
  }
  return file;
}

// Rounds doubles to 10 significant digits, so summation order (threads, parts) cannot change
// the text.
void RoundNumbers(Json& j) {
  if (j.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.10g", j.get<double>());
    const double v = std::strtod(buf, nullptr);
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
      j = static_cast<int64_t>(v);
    } else {
      j = v;
    }
  } else if (j.is_object() || j.is_array()) {
    for (auto& child : j) RoundNumbers(child);
  }
}

std::vector<std::string> Render(const absl::StatusOr<query::QueryResult>& result, bool series) {
  if (!result.ok()) return {StrCat("error: ", std::string(result.status().message()))};
  Json data = Json::parse(query::QueryResultData(*result));
  RoundNumbers(data);
  std::vector<std::string> out;
  for (const Json& row : data["results"]) out.push_back(row["data"].dump());
  if (series) {
    for (const Json& row : data["series"]) out.push_back(StrCat("@", row["time"].get<std::string>(), " ", row["data"].dump()));
  }
  return out;
}

bool Matches(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
  if (expected.size() == 1 && expected[0].starts_with("error: ")) {
    return actual.size() == 1 && actual[0].starts_with("error: ") &&
           std::regex_search(actual[0].substr(7), std::regex(expected[0].substr(7)));
  }
  return expected == actual;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) StrAppend(&out, l, "\n");
  return out;
}

// The events of each load section, as one batch each; empty with a failure on bad input.
std::vector<std::vector<model::Event>> LoadBatches(const GoldenFile& file, const fs::path& path) {
  std::vector<std::vector<model::Event>> batches;
  for (const LoadSection& load : file.loads) {
    std::vector<model::Event>& events = batches.emplace_back();
    if (load.otlp) {
      for (const std::string& line : load.lines) {
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
        absl::Status parsed = ingest::ParseOtlpTraces(ingest::OtlpEncoding::kJson, line, &request);
        if (!parsed.ok()) {
          ADD_FAILURE() << path << ":" << load.line << ": " << parsed;
          return {};
        }
        auto mapped = ingest::MapOtlpTraces(request, load.dataset.empty() ? std::nullopt : std::optional(load.dataset));
        for (auto& e : mapped.events) events.push_back(std::move(e));
      }
    } else {
      std::string array = "[";
      for (size_t k = 0; k < load.lines.size(); ++k) StrAppend(&array, k ? "," : "", load.lines[k]);
      array += "]";
      ingest::EventDefaults defaults;
      defaults.dataset = load.dataset;
      auto batch = ingest::ParseEventBatch(array, ingest::EventsEncoding::kJson, defaults);
      if (!batch.ok()) {
        ADD_FAILURE() << path << ":" << load.line << ": " << batch.status();
        return {};
      }
      for (auto& e : *batch) {
        if (!e.ok()) {
          ADD_FAILURE() << path << ":" << load.line << ": " << e.status();
          return {};
        }
        events.push_back(std::move(*e));
      }
    }
  }
  return batches;
}

absl::StatusOr<query::QueryResult> RunCase(store::Store& store, const QueryCase& q, int threads) {
  const int64_t now = 1767225600 + 86400;  // 2026-01-02: cases use absolute times
  absl::StatusOr<query::QuerySpec> spec = TrimAsciiWhitespace(q.text).starts_with("{")
                                              ? query::ParseQuerySpec(q.text, now)
                                              : query::ParseQueryText(q.text, now);
  if (!spec.ok()) return spec.status();
  query::QueryOptions qo;
  if (q.dataset != "__all__") qo.datasets = {q.dataset};
  qo.threads = threads;
  qo.series = q.series;
  return query::ExecuteQuery(store, *spec, qo);
}

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, Case) {
  const fs::path path = fs::path(WAGGLE_GOLDEN_DIR) / GetParam();
  GoldenFile file = ParseGolden(path);
  const fs::path dir = fs::temp_directory_path() / StrCat("waggle-golden-", ::getpid(), "-", GetParam());
  fs::remove_all(dir);
  store::EmbeddedStoreOptions options;
  options.data_dir = dir.string();
  options.part.block_rows = file.block_rows;
  auto store = store::EmbeddedStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  for (std::vector<model::Event>& events : LoadBatches(file, path)) {
    ASSERT_TRUE(store::AppendAndWait(**store, std::move(events)).ok());
  }
  auto run = [&](const QueryCase& q, int threads) { return RunCase(**store, q, threads); };

  const bool rewrite = std::getenv("WAGGLE_GOLDEN_REWRITE") != nullptr;
  std::vector<std::vector<std::string>> head_answers;
  for (const QueryCase& q : file.queries) {
    const auto actual = Render(run(q, 1), q.series);
    head_answers.push_back(actual);
    if (!rewrite) {
      EXPECT_TRUE(Matches(q.expected, actual)) << path << ":" << q.line << " (in-memory head, 1 thread)\nquery: " << q.text
                                               << "\nexpected:\n" << Join(q.expected) << "actual:\n" << Join(actual);
    }
    const auto two_threads = Render(run(q, 2), q.series);
    EXPECT_EQ(Join(actual), Join(two_threads)) << path << ":" << q.line << ": 1 and 2 threads disagree";
  }
  {
    absl::Status flushed = (*store)->FlushAndCompact();
    ASSERT_TRUE(flushed.ok()) << flushed;
  }
  ASSERT_GT((*store)->Stats().parts, 0u);
  for (size_t k = 0; k < file.queries.size(); ++k) {
    const QueryCase& q = file.queries[k];
    const auto from_parts = Render(run(q, 2), q.series);
    EXPECT_EQ(Join(head_answers[k]), Join(from_parts)) << path << ":" << q.line << ": head and parts disagree";
  }
  (*store)->Close();
  fs::remove_all(dir);

  if (rewrite) {
    std::vector<std::string> out;
    size_t next = 0;
    for (size_t k = 0; k < file.queries.size(); ++k) {
      const QueryCase& q = file.queries[k];
      for (; next < q.expected_begin; ++next) out.push_back(file.lines[next]);
      const bool keep_error = q.expected.size() == 1 && q.expected[0].starts_with("error: ") && Matches(q.expected, head_answers[k]);
      for (const auto& l : keep_error ? q.expected : head_answers[k]) out.push_back(l);
      next = q.expected_end;
    }
    for (; next < file.lines.size(); ++next) out.push_back(file.lines[next]);
    std::ofstream(path) << Join(out);
  }
}

// The same cases on the ClickHouse store (ctest starts a throwaway clickhouse-server and
// sets WAGGLE_CLICKHOUSE_URL); each case writes as a team of its own, so runs never mix.
class GoldenClickHouseTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenClickHouseTest, Case) {
  const char* url = std::getenv("WAGGLE_CLICKHOUSE_URL");
  ASSERT_NE(url, nullptr) << "set WAGGLE_CLICKHOUSE_URL=clickhouse://127.0.0.1:PORT/DB (ctest does)";
  auto endpoint = clickhouse::ParseClickHouseUrl(url);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const fs::path path = fs::path(WAGGLE_GOLDEN_DIR) / GetParam();
  GoldenFile file = ParseGolden(path);
  clickhouse::ClickHouseStoreOptions options;
  options.endpoint = *endpoint;
  options.team = StrCat("golden-", ::getpid(), "-", std::time(nullptr), "-", GetParam());
  options.rows_per_unit = 2;  // tiny slices: queries cross many units and skip some
  auto store = clickhouse::ClickHouseStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  for (std::vector<model::Event>& events : LoadBatches(file, path)) {
    ASSERT_TRUE(store::AppendAndWait(**store, std::move(events)).ok());
  }
  for (const QueryCase& q : file.queries) {
    const auto actual = Render(RunCase(**store, q, 1), q.series);
    EXPECT_TRUE(Matches(q.expected, actual)) << path << ":" << q.line << " (ClickHouse, 1 thread)\nquery: " << q.text
                                             << "\nexpected:\n" << Join(q.expected) << "actual:\n" << Join(actual);
    EXPECT_EQ(Join(actual), Join(Render(RunCase(**store, q, 2), q.series)))
        << path << ":" << q.line << ": 1 and 2 threads disagree on ClickHouse";
  }
  (*store)->Close();
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(WAGGLE_GOLDEN_DIR)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string CaseName(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - 5);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, testing::ValuesIn(CaseFiles()), CaseName);
INSTANTIATE_TEST_SUITE_P(Cases, GoldenClickHouseTest, testing::ValuesIn(CaseFiles()), CaseName);

}  // namespace
}  // namespace waggle
