// waggle: one binary for the server and its tools. Flags come from the command line, then
// WAGGLE_* environment variables, then the --config file.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"

#ifndef WAGGLE_VERSION
#define WAGGLE_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{"Waggle: a self-hosted tracing backend that speaks OTLP, Honeycomb and X-Ray"};
  app.require_subcommand(1);

  waggle::cli::ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the server (on the embedded store, or --store clickhouse://...)");
  // CLI11 reads config files at the top level; fallthrough lets `serve --config F` reach it.
  // The file holds a [serve] section with the long flag names as keys.
  app.set_config("--config", "", "Read flags from a TOML file ([serve] section, long flag names)");
  serve->fallthrough();
  serve->add_option("--store", serve_flags.store,
                    "embedded (the default), or clickhouse://HOST:8123/DATABASE: events in ClickHouse, shared by "
                    "every node pointed at it")
      ->envname("WAGGLE_STORE")
      ->capture_default_str();
  serve->add_option("--clickhouse-retry", serve_flags.clickhouse_retry,
                    "how long a failing insert into ClickHouse is retried before its clients get 503 + Retry-After")
      ->envname("WAGGLE_CLICKHOUSE_RETRY")
      ->capture_default_str();
  serve->add_option("--data-dir", serve_flags.data_dir, "Where the store keeps its files")
      ->envname("WAGGLE_DATA_DIR")
      ->capture_default_str();
  serve->add_option("--http", serve_flags.http, "OTLP/HTTP and API address (port 0: any free port)")
      ->envname("WAGGLE_HTTP")
      ->capture_default_str();
  serve->add_option("--grpc", serve_flags.grpc, "OTLP/gRPC address (port 0: any free port)")
      ->envname("WAGGLE_GRPC")
      ->capture_default_str();
  serve->add_option("--tls-cert", serve_flags.tls_cert, "PEM certificate chain: HTTPS and gRPC over TLS (with --tls-key)")
      ->envname("WAGGLE_TLS_CERT");
  serve->add_option("--tls-key", serve_flags.tls_key, "PEM private key of --tls-cert")->envname("WAGGLE_TLS_KEY");
  serve->add_option("--ui-dir", serve_flags.ui_dir, "the built web UI (default: ui beside the binary)")
      ->envname("WAGGLE_UI_DIR");
  serve->add_option("--xray", serve_flags.xray, "X-Ray daemon address: segments on UDP, the SDKs' sampling calls on TCP (port 0: any free port; off: none)")
      ->envname("WAGGLE_XRAY")
      ->capture_default_str();
  serve->add_option("--xray-team", serve_flags.xray_team,
                    "the team whose store the X-Ray daemon port feeds (its datagrams carry no key)")
      ->envname("WAGGLE_XRAY_TEAM")
      ->capture_default_str();
  serve->add_option("--api-key", serve_flags.api_keys,
                    "KEY[:ingest|query|all[:TEAM]], repeatable; WAGGLE_API_KEY takes a comma-separated list. "
                    "A key reads and writes its team's data only (default team: default)")
      ->envname("WAGGLE_API_KEY")
      ->delimiter(',');
  serve->add_option("--aws-access-key", serve_flags.aws_access_keys,
                    "ACCESS_KEY_ID:SECRET[:TEAM] for SigV4 on the X-Ray API, repeatable; WAGGLE_AWS_ACCESS_KEY takes a "
                    "comma-separated list")
      ->envname("WAGGLE_AWS_ACCESS_KEY")
      ->delimiter(',');
  serve->add_option("--retention", serve_flags.retention,
                    "Drop events older than this (e.g. 7d, 12h); default: keep everything")
      ->envname("WAGGLE_RETENTION");
  serve->add_option("--max-disk", serve_flags.max_disk,
                    "Drop the oldest parts while the store is larger than this (e.g. 50GiB)")
      ->envname("WAGGLE_MAX_DISK");
  serve->add_option("--memory-budget", serve_flags.memory_budget,
                    "What ingest and queries may hold in memory; past it requests get 503 + Retry-After")
      ->envname("WAGGLE_MEMORY_BUDGET");
  serve->add_option("--header-timeout", serve_flags.header_timeout,
                    "A request's headers must arrive within this of its first byte (slow clients are cut off)")
      ->envname("WAGGLE_HEADER_TIMEOUT")
      ->capture_default_str();
  serve->add_option("--max-connections", serve_flags.max_connections,
                    "Open HTTP connections at once; past it new ones get 503 + Retry-After")
      ->envname("WAGGLE_MAX_CONNECTIONS")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  serve->add_option("--flush-bytes", serve_flags.flush_bytes,
                    "Write the in-memory head out as parts past this size")
      ->envname("WAGGLE_FLUSH_BYTES")
      ->capture_default_str();
  serve->add_option("--flush-interval", serve_flags.flush_interval,
                    "... or once its oldest event is this old")
      ->envname("WAGGLE_FLUSH_INTERVAL")
      ->capture_default_str();

  waggle::cli::TraceFlags trace_flags;
  CLI::App* trace = app.add_subcommand("trace", "Print a stored trace as an indented tree");
  trace->add_option("trace_id", trace_flags.trace_id, "Trace id (32 hex digits)")->required();
  trace->add_option("--server", trace_flags.server, "Waggle's HTTP address")
      ->envname("WAGGLE_SERVER")
      ->capture_default_str();
  trace->add_option("--api-key", trace_flags.api_key, "A key with the query scope")
      ->envname("WAGGLE_API_KEY");

  waggle::cli::QueryFlags query_flags;
  CLI::App* query = app.add_subcommand(
      "query", "Run a query: text form (P99(duration_ms) WHERE ... GROUP BY name LAST 1h) or a JSON spec");
  query->add_option("query", query_flags.query, "The query, text form or JSON spec");
  query->add_option("-f,--file", query_flags.file, "Read the query from this file");
  query->add_option("-d,--dataset", query_flags.dataset, "Dataset (__all__: every dataset)")->capture_default_str();
  query->add_option("--server", query_flags.server, "Waggle's HTTP address")
      ->envname("WAGGLE_SERVER")
      ->capture_default_str();
  query->add_option("--api-key", query_flags.api_key, "A key with the query scope")->envname("WAGGLE_API_KEY");
  query->add_flag("--json", query_flags.json, "Print the result as JSON (Honeycomb's shape)");
  query->add_flag("--series", query_flags.series, "Include the time series (with --json)");
  query->add_option("--timeout", query_flags.timeout_seconds, "Seconds to wait for the result")->capture_default_str();

  waggle::cli::LoadgenFlags loadgen_flags;
  CLI::App* loadgen = app.add_subcommand("loadgen", "Send synthetic traces (several services, realistic attributes)");
  loadgen->add_option("--endpoint", loadgen_flags.endpoint, "OTLP endpoint, http://HOST:PORT")
      ->envname("OTEL_EXPORTER_OTLP_ENDPOINT")
      ->capture_default_str();
  loadgen->add_option("--protocol", loadgen_flags.protocol, "http/protobuf, http/json or grpc")
      ->envname("OTEL_EXPORTER_OTLP_PROTOCOL")
      ->capture_default_str();
  loadgen->add_option("--api-key", loadgen_flags.api_key, "Sent as x-honeycomb-team")->envname("WAGGLE_API_KEY");
  loadgen->add_option("--rate", loadgen_flags.rate, "Spans per second (0: as fast as the server answers)")
      ->capture_default_str();
  loadgen->add_option("--duration", loadgen_flags.duration, "How long to run (e.g. 30s, 5m)")->capture_default_str();
  loadgen->add_option("--spans", loadgen_flags.max_spans, "Stop after about this many spans")->capture_default_str();
  loadgen->add_option("--batch", loadgen_flags.batch, "Spans per request (at least; whole traces)")
      ->capture_default_str();
  loadgen->add_option("--workers", loadgen_flags.workers, "Concurrent connections")->capture_default_str();
  loadgen->add_option("--pool", loadgen_flags.pool, "Distinct request bodies prepared ahead (reused with fresh trace ids)")
      ->capture_default_str();
  loadgen->add_option("--seed", loadgen_flags.seed, "Seed of the synthetic traces")->capture_default_str();
  loadgen->add_flag("--json", loadgen_flags.json, "Print the summary as one JSON line");
  loadgen->add_option("--trace-ids-out", loadgen_flags.trace_ids_out,
                      "Append the first trace id of every 100th acknowledged request to this file");
  loadgen->add_option("--write-body", loadgen_flags.write_body,
                      "Write one request body (--batch spans, --protocol's encoding) to this file, print its span "
                      "count and exit: a fixed body for another load generator (bench/ingest_wrk.sh)");

  app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("version")) {
    fmt::print("waggle {}\n", WAGGLE_VERSION);
    return 0;
  }
  if (app.got_subcommand("trace")) return waggle::cli::RunTrace(trace_flags);
  if (app.got_subcommand("query")) return waggle::cli::RunQuery(query_flags);
  if (app.got_subcommand("loadgen")) return waggle::cli::RunLoadgen(loadgen_flags);
  return waggle::cli::RunServe(serve_flags);
}
