// Query specs (JSON) and the text form: whatever parses must write out as a spec that
// parses again.
#include <cstdlib>
#include <string_view>

#include "query/query_spec.h"
#include "query/query_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kNow = 1767225600;
  auto spec = text.starts_with("{") ? waggle::query::ParseQuerySpec(text, kNow) : waggle::query::ParseQueryText(text, kNow);
  if (spec.ok()) {
    auto again = waggle::query::ParseQuerySpec(waggle::query::QuerySpecToJson(*spec), kNow);
    if (!again.ok()) std::abort();
  }
  return 0;
}
