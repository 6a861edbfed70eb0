#include "store/document_store.h"

#include <sys/stat.h>

#include "common/status_macros.h"
#include "store/file_util.h"

namespace waggle::store {

absl::StatusOr<DocumentStore::Snapshot> FileDocumentStore::Load() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return Snapshot{};
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path_));
  return Snapshot{std::move(text), 0};
}

absl::StatusOr<int64_t> FileDocumentStore::Save(std::string_view text) {
  RETURN_IF_NOT_OK(WriteFileAtomically(path_, text));
  return 0;
}

}  // namespace waggle::store
