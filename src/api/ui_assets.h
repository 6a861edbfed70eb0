// The web UI's built files (ui/ built by Vite into <build>/ui), read into memory when the
// server starts, so `waggle serve` needs no Node at run time and a request cannot name a
// file outside the set. The UI routes in the browser (#/query, #/trace/<id>), so `/` is its
// only page.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace waggle::api {

struct UiAsset {
  std::string content_type;
  std::string body;
  bool immutable = false;  // a content-hashed name under assets/: cacheable for good
};

class UiAssets {
 public:
  // Reads every file under `dir` (at most 64 MiB in all).
  static absl::StatusOr<UiAssets> Load(const std::string& dir);

  // The file for a GET of `path` (`/` is index.html); nullptr when there is none.
  const UiAsset* Find(std::string_view path) const;
  bool empty() const { return files_.empty(); }

 private:
  std::map<std::string, UiAsset, std::less<>> files_;  // by URL path, "/index.html"
};

// The default UI directory: `ui` beside the executable, else ../share/waggle/ui from it.
std::string DefaultUiDirectory();

}  // namespace waggle::api
