// Microbenchmarks of the ingest and storage path, on the load generator's spans:
//   build/bench/store_bench [--benchmark_filter=...]
// They show where a span's CPU goes: protobuf parsing, mapping to events, encoding for the
// log, writing parts (encodings + zstd), and reading a trace back from a part.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>

#include "ingest/otlp_span_mapper.h"
#include "loadgen/trace_generator.h"
#include "store/event_batch.h"
#include "store/event_codec.h"
#include "store/part_merger.h"
#include "store/part_reader.h"
#include "store/part_writer.h"

namespace waggle {
namespace {

namespace otlp = opentelemetry::proto;

otlp::collector::trace::v1::ExportTraceServiceRequest MakeRequest(size_t spans, uint64_t seed) {
  loadgen::TraceGenerator generator(seed);
  otlp::collector::trace::v1::ExportTraceServiceRequest request;
  generator.FillRequest(spans, 1'795'000'000'000'000'000, &request);
  return request;
}

std::vector<model::Event> MakeEvents(size_t spans) {
  std::vector<model::Event> events;
  for (uint64_t seed = 1; events.size() < spans; ++seed) {
    auto batch = ingest::MapOtlpTraces(MakeRequest(512, seed), std::nullopt);
    for (auto& e : batch.events) events.push_back(std::move(e));
  }
  std::sort(events.begin(), events.end(), store::PartRowLess);
  return events;
}

void BM_ParseOtlpProtobuf(benchmark::State& state) {
  std::string body;
  MakeRequest(512, 1).SerializeToString(&body);
  size_t spans = 0;
  for (auto _ : state) {
    otlp::collector::trace::v1::ExportTraceServiceRequest request;
    request.ParseFromString(body);
    spans += static_cast<size_t>(request.resource_spans(0).scope_spans(0).spans_size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["spans/s"] = benchmark::Counter(512.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseOtlpProtobuf);

void BM_MapSpansToBatch(benchmark::State& state) {
  auto request = MakeRequest(512, 1);
  for (auto _ : state) {
    store::EventBatchBuilder builder;
    ingest::MapOtlpTraces(request, std::nullopt, &builder);
    benchmark::DoNotOptimize(builder.Finish());
  }
  state.counters["spans/s"] = benchmark::Counter(512.0 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MapSpansToBatch);

// The write-ahead log's record of one 512-span request, at zstd level `state.range(0)`
// (0: not compressed): what compression costs per span and what it saves.
void BM_EncodeLogRecord(benchmark::State& state) {
  store::EventBatchBuilder builder;
  ingest::MapOtlpTraces(MakeRequest(512, 1), std::nullopt, &builder);
  const std::vector<store::EventBatch> batches = builder.Finish();
  const int level = static_cast<int>(state.range(0));
  std::string record;
  for (auto _ : state) {
    record.clear();
    if (level == 0) store::EncodeEventBatches(batches, &record);
    else store::EncodeLogRecord(batches, &record, level);
  }
  state.counters["spans/s"] = benchmark::Counter(512.0 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["bytes/span"] = static_cast<double>(record.size()) / 512.0;
}
BENCHMARK(BM_EncodeLogRecord)->Arg(0)->Arg(-5)->Arg(-1)->Arg(1)->Arg(3);

void BM_WritePart(benchmark::State& state) {
  auto events = MakeEvents(static_cast<size_t>(state.range(0)));
  const std::string path = std::filesystem::temp_directory_path() / "waggle-bench.part";
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto writer = store::PartWriter::Create(path, "backend-flask", 0, store::PartWriterOptions{});
    for (const auto& e : events) (void)(*writer)->Add(e);
    (void)(*writer)->Finish();
    bytes = (*writer)->bytes_written();
  }
  std::filesystem::remove(path);
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(events.size() * state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["bytes/span"] = static_cast<double>(bytes) / static_cast<double>(events.size());
}
BENCHMARK(BM_WritePart)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_MergeFourParts(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path();
  std::vector<std::shared_ptr<store::PartReader>> inputs;
  size_t rows = 0;
  for (int p = 0; p < 4; ++p) {
    auto events = MakeEvents(50000);
    for (auto& e : events) e.trace_id.bytes[0] = static_cast<uint8_t>(p);  // distinct traces per input
    std::sort(events.begin(), events.end(), store::PartRowLess);
    const std::string path = dir / ("waggle-bench-in" + std::to_string(p));
    auto writer = store::PartWriter::Create(path, "backend-flask", 0, store::PartWriterOptions{});
    for (const auto& e : events) (void)(*writer)->Add(e);
    (void)(*writer)->Finish();
    inputs.push_back(*store::PartReader::Open(path));
    std::filesystem::remove(path);  // the reader keeps it open
    rows += events.size();
  }
  const std::string out = dir / "waggle-bench-merged";
  for (auto _ : state) {
    auto writer = store::PartWriter::Create(out, "backend-flask", 0, store::PartWriterOptions{});
    (void)store::MergeParts(inputs, **writer);
    (void)(*writer)->Finish();
  }
  std::filesystem::remove(out);
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(rows * state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MergeFourParts)->Unit(benchmark::kMillisecond);

void BM_FindTraceInPart(benchmark::State& state) {
  auto events = MakeEvents(200000);
  const std::string path = std::filesystem::temp_directory_path() / "waggle-bench-find.part";
  {
    auto writer = store::PartWriter::Create(path, "backend-flask", 0, store::PartWriterOptions{});
    for (const auto& e : events) (void)(*writer)->Add(e);
    (void)(*writer)->Finish();
  }
  auto part = *store::PartReader::Open(path);
  size_t i = 0, found = 0;
  for (auto _ : state) {
    auto trace = part->FindTrace(events[(i++ * 7919) % events.size()].trace_id);
    found += trace->size();
  }
  std::filesystem::remove(path);
  state.counters["spans/trace"] = static_cast<double>(found) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_FindTraceInPart)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace waggle

BENCHMARK_MAIN();
