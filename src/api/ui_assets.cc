#include "api/ui_assets.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace waggle::api {
namespace {

constexpr uint64_t kMaxTotalBytes = 64ull << 20;

std::string ContentTypeOf(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

absl::StatusOr<UiAssets> UiAssets::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  UiAssets assets;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return assets;  // no UI built: API only
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in && !in.eof()) return absl::UnavailableError(StrCat("--ui-dir: cannot read ", it->path().string()));
    UiAsset asset;
    asset.content_type = ContentTypeOf(it->path());
    asset.body = std::move(body).str();
    total += asset.body.size();
    if (total > kMaxTotalBytes) {
      return absl::InvalidArgumentError(StrCat("--ui-dir ", dir, ": more than 64 MiB of files; is it the built UI?"));
    }
    const std::string relative = fs::relative(it->path(), dir, ec).generic_string();
    asset.immutable = relative.starts_with("assets/");
    assets.files_.emplace("/" + relative, std::move(asset));
  }
  if (ec) return absl::UnavailableError(StrCat("--ui-dir ", dir, ": ", ec.message()));
  return assets;
}

const UiAsset* UiAssets::Find(std::string_view path) const {
  if (path == "/") path = "/index.html";
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

std::string DefaultUiDirectory() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "ui";
  const fs::path beside = exe.parent_path() / "ui";
  if (fs::is_directory(beside, ec)) return beside.string();
  return (exe.parent_path().parent_path() / "share" / "waggle" / "ui").string();
}

}  // namespace waggle::api
