#include "store/manifest.h"

#include <xxhash.h>

#include <filesystem>

#include "common/strings.h"
#include "store/byte_io.h"
#include "store/file_util.h"

namespace waggle::store {
namespace {

constexpr std::string_view kMagic = "WGLMANI1";

}  // namespace

absl::StatusOr<Manifest> LoadManifest(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Manifest{};
  auto data = ReadWholeFile(path);
  if (!data.ok()) return data.status();
  auto corrupt = [&] {
    return absl::DataLossError(StrCat(
        "manifest ", path, " is corrupt; the parts it listed cannot be trusted. Move the data "
        "directory aside and start afresh, or restore it from a backup"));
  };
  if (data->size() < kMagic.size() + 8 || !data->starts_with(kMagic)) return corrupt();
  std::string_view body(data->data(), data->size() - 8);
  ByteReader trailer(std::string_view(*data).substr(body.size()));
  if (XXH3_64bits(body.data(), body.size()) != trailer.Fixed64()) return corrupt();
  ByteReader r(body.substr(kMagic.size()));
  Manifest m;
  m.next_part_id = r.Varint();
  m.wal_replay_from = r.Varint();
  uint64_t n = r.Varint();
  if (!r.ok() || n > body.size()) return corrupt();
  for (uint64_t i = 0; i < n; ++i) m.part_ids.push_back(r.Varint());
  if (!r.ok() || r.remaining() != 0) return corrupt();
  return m;
}

absl::Status SaveManifest(const std::string& path, const Manifest& manifest) {
  std::string out(kMagic);
  ByteWriter w(&out);
  w.Varint(manifest.next_part_id);
  w.Varint(manifest.wal_replay_from);
  w.Varint(manifest.part_ids.size());
  for (uint64_t id : manifest.part_ids) w.Varint(id);
  w.Fixed64(XXH3_64bits(out.data(), out.size()));
  return WriteFileAtomically(path, out);
}

}  // namespace waggle::store
