// Where a part's bytes go: compressed bytes per column, summed over a data directory's
// parts, largest first.  build/bench/part_columns DATA_DIR
#include <cstdio>
#include <map>
#include <vector>

#include "absl/strings/str_format.h"
#include "store/manifest.h"
#include "store/part_reader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: part_columns DATA_DIR\n");
    return 2;
  }
  auto manifest = waggle::store::LoadManifest(std::string(argv[1]) + "/MANIFEST");
  if (!manifest.ok()) return 1;
  std::map<std::string, uint64_t> bytes;
  uint64_t rows = 0, total = 0;
  for (uint64_t id : manifest->part_ids) {
    auto part = waggle::store::PartReader::Open(absl::StrFormat("%s/parts/%020d.part", argv[1], id));
    if (!part.ok()) return 1;
    const auto& footer = (*part)->footer();
    rows += footer.rows;
    total += (*part)->file_size();
    for (const auto& block : footer.blocks) {
      for (size_t c = 0; c < footer.columns.size(); ++c) bytes[footer.columns[c].DebugName()] += block.chunks[c].size;
    }
  }
  std::vector<std::pair<uint64_t, std::string>> sorted;
  for (auto& [name, n] : bytes) sorted.emplace_back(n, name);
  std::sort(sorted.rbegin(), sorted.rend());
  std::printf("%llu rows, %llu bytes, %.2f bytes/row\n", (unsigned long long)rows, (unsigned long long)total,
              rows ? double(total) / double(rows) : 0.0);
  for (auto& [n, name] : sorted) std::printf("%10.3f  %s\n", rows ? double(n) / double(rows) : 0.0, name.c_str());
  return 0;
}
