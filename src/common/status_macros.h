// Small helpers for absl::Status on the data path, where errors are values, not exceptions.
// Debian 12's abseil lacks ASSIGN_OR_RETURN; these follow Envoy's RETURN_IF_NOT_OK.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WAGGLE_CONCAT_INNER(a, b) a##b
#define WAGGLE_CONCAT(a, b) WAGGLE_CONCAT_INNER(a, b)

#define RETURN_IF_NOT_OK(expr)               \
  do {                                       \
    ::absl::Status waggle_status_ = (expr);  \
    if (!waggle_status_.ok()) return waggle_status_; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(WAGGLE_CONCAT(waggle_statusor_, __LINE__), lhs, expr)

namespace waggle {

// The one greppable way to ignore an error on purpose (RocksDB's PermitUncheckedError).
inline void IgnoreError(const absl::Status&) {}

}  // namespace waggle
