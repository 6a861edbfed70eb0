// Where a small JSON document (the markers, a team's X-Ray rules and groups) is kept: a file
// in the data directory, or, with the ClickHouse store, a row in ClickHouse that every node
// reads. Its owners keep the parsed document in memory; with a shared store they reload it
// when its version changed, before they answer or change it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace waggle::store {

class DocumentStore {
 public:
  struct Snapshot {
    std::optional<std::string> text;  // nullopt: never saved
    int64_t version = 0;              // changes whenever the text does
  };

  virtual ~DocumentStore() = default;

  virtual absl::StatusOr<Snapshot> Load() = 0;
  // Saves `text` as the newest version and returns that version.
  virtual absl::StatusOr<int64_t> Save(std::string_view text) = 0;
  // Other processes may change it (owners reload before they answer).
  virtual bool shared() const = 0;
  // Names it in messages: the file's path, or ClickHouse's table and key.
  virtual std::string Describe() const = 0;
};

// A file rewritten atomically on each save; only this process changes it.
class FileDocumentStore final : public DocumentStore {
 public:
  explicit FileDocumentStore(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<Snapshot> Load() override;
  absl::StatusOr<int64_t> Save(std::string_view text) override;
  bool shared() const override { return false; }
  std::string Describe() const override { return path_; }

 private:
  const std::string path_;
};

}  // namespace waggle::store
