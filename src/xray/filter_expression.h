// X-Ray filter expressions (shared/reference/protocols.md B4; the X-Ray console's filter
// language): keywords compared with values, annotations, service()/edge() with inner
// filters, id(), group.name/arn, rootcause.*, joined by AND/OR/!/parentheses. Parsing gives
// a tree or an error that says at which character and what was expected; evaluation runs
// the tree over one XrayTrace. Used by groups, trace summaries and service graphs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "store/scan_unit.h"
#include "xray/trace_view.h"

namespace waggle::xray {

enum class FilterCompare : uint8_t {
  kPresent,  // a bare keyword: a true boolean, or a set annotation
  kEq, kNe, kLt, kLe, kGt, kGe,
  kContains, kBeginsWith, kEndsWith,
};

using FilterValue = std::variant<std::monostate, std::string, double, bool>;

struct FilterNode {
  enum class Kind : uint8_t { kAnd, kOr, kNot, kKeyword, kAnnotation, kService, kEdge, kId, kGroup, kRootCause };
  Kind kind = Kind::kKeyword;
  size_t position = 0;  // character offset in the expression, for messages
  std::vector<std::unique_ptr<FilterNode>> children;  // kAnd/kOr/kNot; inner filter of service/edge/rootcause
  std::string keyword;   // kKeyword: lowercase; kGroup: "name" or "arn"; kRootCause: "fault.service"...
  std::string key;       // kAnnotation: the annotation key
  std::vector<std::string> names;  // kService: 0-1 names; kEdge: 2; kId: name, type
  FilterCompare compare = FilterCompare::kPresent;
  FilterValue value;
};

class FilterExpression {
 public:
  // An empty (or blank) expression matches every trace.
  static absl::StatusOr<FilterExpression> Parse(std::string_view text);

  // `groups` gives a group's filter expression by name or ARN, for group.name / group.arn.
  using GroupLookup = std::function<std::optional<std::string>(std::string_view kind, std::string_view value)>;
  bool Matches(const XrayTrace& trace, const GroupLookup& groups = {}) const;

  const std::string& text() const { return text_; }
  bool empty() const { return root_ == nullptr; }
  // Services named by service("...") at the top level of the expression (a group's scope,
  // used to focus its service graph); empty when the expression names none.
  std::vector<std::string> NamedServices() const;
  // What every matching trace has, for a store to narrow the traces it reads: the annotation
  // keys and the service or node names the expression requires (outside OR and NOT).
  store::TraceHint Hint() const;

 private:
  std::string text_;
  std::shared_ptr<const FilterNode> root_;
};

}  // namespace waggle::xray
