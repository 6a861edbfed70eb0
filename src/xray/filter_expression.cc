#include "xray/filter_expression.h"

#include <cmath>
#include <set>

#include "common/status_macros.h"
#include "common/strings.h"
#include "xray/xray_fields.h"

namespace waggle::xray {
namespace {

enum class KeywordType : uint8_t { kBool, kNumber, kString };

struct KeywordInfo {
  const char* name;
  KeywordType type;
};

constexpr KeywordInfo kKeywords[] = {
    {"ok", KeywordType::kBool},          {"error", KeywordType::kBool},
    {"throttle", KeywordType::kBool},    {"fault", KeywordType::kBool},
    {"partial", KeywordType::kBool},     {"inferred", KeywordType::kBool},
    {"first", KeywordType::kBool},       {"last", KeywordType::kBool},
    {"remote", KeywordType::kBool},      {"root", KeywordType::kBool},
    {"responsetime", KeywordType::kNumber}, {"duration", KeywordType::kNumber},
    {"http.status", KeywordType::kNumber},  {"index", KeywordType::kNumber},
    {"coverage", KeywordType::kNumber},     {"http.url", KeywordType::kString},
    {"http.method", KeywordType::kString},  {"http.useragent", KeywordType::kString},
    {"http.clientip", KeywordType::kString}, {"user", KeywordType::kString},
    {"name", KeywordType::kString},         {"type", KeywordType::kString},
    {"message", KeywordType::kString},      {"availabilityzone", KeywordType::kString},
    {"instance.id", KeywordType::kString},  {"resource.arn", KeywordType::kString},
};

const KeywordInfo* FindKeyword(std::string_view name) {
  for (const KeywordInfo& k : kKeywords) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

std::string KeywordList() {
  std::string out;
  for (const KeywordInfo& k : kKeywords) StrAppend(&out, out.empty() ? "" : ", ", k.name);
  return out;
}

using Node = FilterNode;
using NodePtr = std::unique_ptr<FilterNode>;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<NodePtr> ParseAll() {
    auto node = ParseOr(0);
    if (!node.ok()) return node.status();
    SkipSpace();
    if (pos_ < text_.size()) return Error(pos_, StrCat("unexpected '", Snippet(pos_), "'; expected AND, OR or the end"));
    return node;
  }

 private:
  absl::Status Error(size_t at, std::string_view message) const {
    return absl::InvalidArgumentError(StrCat("filter expression, at character ", at + 1, ": ", message));
  }
  std::string Snippet(size_t at) const { return std::string(text_.substr(at, 12)); }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Take(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  static bool WordChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == ':' || c == '/';
  }
  // A word (keyword, operator word, AND/OR) without consuming it.
  std::string_view PeekWord() {
    SkipSpace();
    size_t end = pos_;
    while (end < text_.size() && WordChar(text_[end])) ++end;
    return text_.substr(pos_, end - pos_);
  }
  bool TakeWord(std::string_view upper) {
    std::string_view word = PeekWord();
    if (word.size() != upper.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(word[i])) != upper[i]) return false;
    }
    pos_ += word.size();
    return true;
  }

  absl::StatusOr<NodePtr> Combine(Node::Kind kind, size_t at, int depth, bool is_or) {
    auto first = is_or ? ParseAnd(depth) : ParseUnary(depth);
    if (!first.ok()) return first.status();
    NodePtr node = std::move(*first);
    while (TakeWord(is_or ? "OR" : "AND") || (!is_or && (Take('&') && Take('&'))) || (is_or && (Take('|') && Take('|')))) {
      auto next = is_or ? ParseAnd(depth) : ParseUnary(depth);
      if (!next.ok()) return next.status();
      if (node->kind != kind) {
        auto combined = std::make_unique<Node>();
        combined->kind = kind;
        combined->position = at;
        combined->children.push_back(std::move(node));
        node = std::move(combined);
      }
      node->children.push_back(std::move(*next));
    }
    return node;
  }
  absl::StatusOr<NodePtr> ParseOr(int depth) {
    SkipSpace();
    return Combine(Node::Kind::kOr, pos_, depth, true);
  }
  absl::StatusOr<NodePtr> ParseAnd(int depth) {
    SkipSpace();
    return Combine(Node::Kind::kAnd, pos_, depth, false);
  }

  absl::StatusOr<NodePtr> ParseUnary(int depth) {
    if (depth > 64) return Error(pos_, "nested too deeply");
    SkipSpace();
    size_t at = pos_;
    if (pos_ >= text_.size()) return Error(pos_, "expression ends where a condition was expected");
    if (Take('!')) {
      auto inner = ParseUnary(depth + 1);
      if (!inner.ok()) return inner.status();
      auto node = std::make_unique<Node>();
      node->kind = Node::Kind::kNot;
      node->position = at;
      node->children.push_back(std::move(*inner));
      return node;
    }
    if (Take('(')) {
      auto inner = ParseOr(depth + 1);
      if (!inner.ok()) return inner.status();
      if (!Take(')')) return Error(pos_, StrCat("expected ')' to close the '(' at character ", at + 1));
      return inner;
    }
    std::string_view word = PeekWord();
    if (word.empty()) return Error(pos_, StrCat("unexpected '", Snippet(pos_), "'; expected a keyword, !, ( or service(...)"));
    std::string lower = AsciiLower(word);
    if (lower == "service" || lower == "edge" || lower == "id") {
      pos_ += word.size();
      if (Peek('(')) return ParseCall(lower, at, depth);
      pos_ = at;
    }
    pos_ += word.size();
    if (lower.starts_with("annotation.") || lower == "annotation") {
      auto node = std::make_unique<Node>();
      node->kind = Node::Kind::kAnnotation;
      node->position = at;
      if (lower == "annotation") {
        if (!Take('[')) return Error(pos_, "expected annotation.KEY or annotation[KEY]");
        size_t key_start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ']') ++pos_;
        if (pos_ >= text_.size()) return Error(key_start, "annotation[ is not closed with ]");
        node->key = std::string(TrimAsciiWhitespace(text_.substr(key_start, pos_ - key_start)));
        ++pos_;
        if (node->key.size() >= 2 && (node->key.front() == '"' || node->key.front() == '\'')) {
          node->key = node->key.substr(1, node->key.size() - 2);
        }
      } else {
        node->key = std::string(word.substr(std::string_view("annotation.").size()));
      }
      if (node->key.empty()) return Error(at, "annotation needs a key: annotation.KEY");
      RETURN_IF_NOT_OK(ParseComparison(*node, std::nullopt));
      return node;
    }
    if (lower == "group.name" || lower == "group.arn") {
      auto node = std::make_unique<Node>();
      node->kind = Node::Kind::kGroup;
      node->position = at;
      node->keyword = lower.substr(6);
      RETURN_IF_NOT_OK(ParseComparison(*node, KeywordType::kString));
      if (node->compare != FilterCompare::kEq) return Error(at, StrCat(lower, " takes = \"value\""));
      return node;
    }
    if (lower.starts_with("rootcause.")) {
      static const std::set<std::string> kRootCauses = {
          "rootcause.fault.service",  "rootcause.fault.entity",  "rootcause.fault.exception",
          "rootcause.error.service",  "rootcause.error.entity",  "rootcause.error.exception",
          "rootcause.responsetime.service", "rootcause.responsetime.entity"};
      if (!kRootCauses.contains(lower)) {
        return Error(at, StrCat("unknown '", word, "'; use rootcause.{fault|error}.{service|entity|exception} or "
                                "rootcause.responsetime.{service|entity}"));
      }
      auto node = std::make_unique<Node>();
      node->kind = Node::Kind::kRootCause;
      node->position = at;
      node->keyword = lower.substr(10);
      RETURN_IF_NOT_OK(ParseInnerFilter(*node, depth));
      return node;
    }
    const KeywordInfo* info = FindKeyword(lower);
    if (!info) return Error(at, StrCat("unknown keyword '", word, "'; use one of ", KeywordList(), ", annotation.KEY, "
                                       "service(\"name\"), edge(\"a\", \"b\"), id(name: \"n\", type: \"t\"), "
                                       "group.name, rootcause.*"));
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kKeyword;
    node->position = at;
    node->keyword = lower;
    RETURN_IF_NOT_OK(ParseComparison(*node, info->type));
    if (info->type != KeywordType::kBool && node->compare == FilterCompare::kPresent) {
      return Error(pos_, StrCat("'", lower, "' needs a comparison, e.g. ", lower,
                                info->type == KeywordType::kNumber ? " >= 1" : " = \"value\""));
    }
    return node;
  }

  // Optional `op value` after a keyword or annotation. `type` nullopt: any value type.
  absl::Status ParseComparison(Node& node, std::optional<KeywordType> type) {
    SkipSpace();
    size_t at = pos_;
    FilterCompare op = FilterCompare::kPresent;
    auto two = text_.substr(pos_, 2);
    if (two == "!=") { op = FilterCompare::kNe; pos_ += 2; }
    else if (two == "<=") { op = FilterCompare::kLe; pos_ += 2; }
    else if (two == ">=") { op = FilterCompare::kGe; pos_ += 2; }
    else if (two == "==") { op = FilterCompare::kEq; pos_ += 2; }
    else if (Take('=')) op = FilterCompare::kEq;
    else if (Take('<')) op = FilterCompare::kLt;
    else if (Take('>')) op = FilterCompare::kGt;
    else if (TakeWord("CONTAINS")) op = FilterCompare::kContains;
    else if (TakeWord("BEGINSWITH")) op = FilterCompare::kBeginsWith;
    else if (TakeWord("ENDSWITH")) op = FilterCompare::kEndsWith;
    if (op == FilterCompare::kPresent) return absl::OkStatus();
    SkipSpace();
    at = pos_;  // type errors point at the value
    auto value = ParseValue();
    if (!value.ok()) return value.status();
    node.compare = op;
    node.value = std::move(*value);
    const bool is_string = std::holds_alternative<std::string>(node.value);
    const bool is_number = std::holds_alternative<double>(node.value);
    const bool is_bool = std::holds_alternative<bool>(node.value);
    const bool ordering = op == FilterCompare::kLt || op == FilterCompare::kLe || op == FilterCompare::kGt ||
                          op == FilterCompare::kGe;
    const bool text_op = op == FilterCompare::kContains || op == FilterCompare::kBeginsWith ||
                         op == FilterCompare::kEndsWith;
    if (text_op && !is_string) return Error(at, "CONTAINS, BEGINSWITH and ENDSWITH compare with a quoted string");
    if (ordering && !is_number) return Error(at, "<, <=, > and >= compare with a number");
    if (!type) return absl::OkStatus();
    switch (*type) {
      case KeywordType::kBool:
        if (!is_bool || (op != FilterCompare::kEq && op != FilterCompare::kNe)) {
          return Error(at, StrCat("'", node.keyword, "' is true or false: write ", node.keyword, ", !", node.keyword,
                                  " or ", node.keyword, " = false"));
        }
        break;
      case KeywordType::kNumber:
        if (!is_number || text_op) return Error(at, StrCat("'", node.keyword, "' is a number: compare it with = != < <= > >= and a number"));
        break;
      case KeywordType::kString:
        if (!is_string || ordering) {
          return Error(at, StrCat("'", node.keyword.empty() ? "value" : node.keyword,
                                  "' is a string: compare it with = != CONTAINS BEGINSWITH ENDSWITH and a quoted value"));
        }
        break;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<FilterValue> ParseValue() {
    SkipSpace();
    size_t at = pos_;
    if (pos_ >= text_.size()) return Error(pos_, "expected a value after the operator");
    char c = text_[pos_];
    if (c == '"' || c == '\'') return ParseString();
    std::string_view word = PeekWord();
    std::string lower = AsciiLower(word);
    if (lower == "true" || lower == "false") {
      pos_ += word.size();
      return FilterValue(lower == "true");
    }
    if (!word.empty()) {
      std::string number(word);
      char* end = nullptr;
      double v = std::strtod(number.c_str(), &end);
      if (end == number.c_str() + number.size() && std::isfinite(v)) {
        pos_ += word.size();
        return FilterValue(v);
      }
    }
    return Error(at, StrCat("expected a number, true/false or a quoted string, not '", Snippet(at), "'"));
  }

  absl::StatusOr<std::string> ParseString() {
    SkipSpace();
    size_t at = pos_;
    if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) return Error(pos_, "expected a quoted string");
    char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out.push_back(text_[pos_++]);
    }
    if (pos_ >= text_.size()) return Error(at, "string is not closed");
    ++pos_;
    return out;
  }

  absl::StatusOr<NodePtr> ParseCall(const std::string& name, size_t at, int depth) {
    Take('(');
    auto node = std::make_unique<Node>();
    node->position = at;
    if (name == "id") {
      node->kind = Node::Kind::kId;
      node->names = {"", ""};
      do {
        std::string_view arg = PeekWord();
        std::string lower = AsciiLower(arg);
        size_t arg_at = pos_;
        if (lower.ends_with(":")) lower.pop_back();
        pos_ += arg.size();
        if (lower != "name" && lower != "type") return Error(arg_at, "id() takes name: \"...\" and type: \"...\"");
        Take(':');
        auto value = ParseString();
        if (!value.ok()) return value.status();
        node->names[lower == "name" ? 0 : 1] = *value;
      } while (Take(','));
      if (!Take(')')) return Error(pos_, "expected ')' after id(...)");
      if (node->names[0].empty()) return Error(at, "id() needs name: \"...\"");
      return node;
    }
    node->kind = name == "service" ? Node::Kind::kService : Node::Kind::kEdge;
    if (!Peek(')')) {
      do {
        auto value = ParseString();
        if (!value.ok()) return value.status();
        node->names.push_back(*value);
      } while (Take(','));
    }
    if (!Take(')')) return Error(pos_, StrCat("expected ')' to close ", name, "("));
    if (node->kind == Node::Kind::kService && node->names.size() > 1) return Error(at, "service() takes at most one name");
    if (node->kind == Node::Kind::kEdge && node->names.size() != 2) return Error(at, "edge() takes two names: edge(\"from\", \"to\")");
    RETURN_IF_NOT_OK(ParseInnerFilter(*node, depth));
    return node;
  }

  // An optional `{ filter }` after service(), edge() or rootcause.*.
  absl::Status ParseInnerFilter(Node& node, int depth) {
    if (!Take('{')) return absl::OkStatus();
    auto inner = ParseOr(depth + 1);
    if (!inner.ok()) return inner.status();
    if (!Take('}')) return Error(pos_, "expected '}' to close the inner filter");
    node.children.push_back(std::move(*inner));
    return absl::OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// --- evaluation -----------------------------------------------------------------------------

// What a condition looks at: the whole trace (primary = its root segment), one service's
// segment and subsegments (service()), or one call (edge(), rootcause.*).
struct Scope {
  const XrayTrace& trace;
  std::vector<int> nodes;
  const XrayNode* primary = nullptr;
  bool whole_trace = false;
};

bool CompareNumber(FilterCompare op, double a, double b) {
  switch (op) {
    case FilterCompare::kEq: return a == b;
    case FilterCompare::kNe: return a != b;
    case FilterCompare::kLt: return a < b;
    case FilterCompare::kLe: return a <= b;
    case FilterCompare::kGt: return a > b;
    case FilterCompare::kGe: return a >= b;
    default: return false;
  }
}

bool CompareString(FilterCompare op, const std::string& a, const std::string& b) {
  switch (op) {
    case FilterCompare::kEq: return a == b;
    case FilterCompare::kNe: return a != b;
    case FilterCompare::kContains: return a.find(b) != std::string::npos;
    case FilterCompare::kBeginsWith: return a.starts_with(b);
    case FilterCompare::kEndsWith: return a.ends_with(b);
    default: return false;
  }
}

bool CompareValue(const Node& n, const model::AttributeValue& v) {
  if (n.compare == FilterCompare::kPresent) return true;
  if (const auto* s = std::get_if<std::string>(&n.value)) {
    return std::holds_alternative<std::string>(v) && CompareString(n.compare, std::get<std::string>(v), *s);
  }
  if (const auto* d = std::get_if<double>(&n.value)) {
    if (std::holds_alternative<int64_t>(v)) return CompareNumber(n.compare, static_cast<double>(std::get<int64_t>(v)), *d);
    if (std::holds_alternative<double>(v)) return CompareNumber(n.compare, std::get<double>(v), *d);
    return false;
  }
  if (const auto* b = std::get_if<bool>(&n.value)) {
    if (!std::holds_alternative<bool>(v)) return false;
    return n.compare == FilterCompare::kEq ? std::get<bool>(v) == *b : std::get<bool>(v) != *b;
  }
  return false;
}

class Evaluator {
 public:
  explicit Evaluator(const FilterExpression::GroupLookup& groups) : groups_(groups) {}

  bool Eval(const Node& n, const Scope& scope) const {
    switch (n.kind) {
      case Node::Kind::kAnd:
        for (const auto& c : n.children) {
          if (!Eval(*c, scope)) return false;
        }
        return true;
      case Node::Kind::kOr:
        for (const auto& c : n.children) {
          if (Eval(*c, scope)) return true;
        }
        return false;
      case Node::Kind::kNot:
        return !Eval(*n.children[0], scope);
      case Node::Kind::kKeyword:
        return Keyword(n, scope);
      case Node::Kind::kAnnotation:
        for (int i : scope.nodes) {
          const model::AttributeValue* v = scope.trace.nodes[i].Annotation(n.key);
          if (v && CompareValue(n, *v)) return true;
        }
        return false;
      case Node::Kind::kService:
        return Service(n, scope.trace);
      case Node::Kind::kEdge:
        return Edge(n, scope.trace);
      case Node::Kind::kId:
        for (const XrayNode& x : scope.trace.nodes) {
          if ((x.is_segment ? x.name : x.CalleeName()) != n.names[0]) continue;
          if (n.names[1].empty() || x.origin == n.names[1] || (!x.is_segment && InferredType(x) == n.names[1])) return true;
        }
        return false;
      case Node::Kind::kGroup:
        return Group(n, scope.trace);
      case Node::Kind::kRootCause:
        return RootCause(n, scope.trace);
    }
    return false;
  }

  static std::string InferredType(const XrayNode& x) {
    if (x.namespace_ == "aws") return StrCat("AWS::", x.CalleeName());
    if (x.namespace_ == "remote") return "remote";
    return "";
  }

 private:
  template <typename Pred>
  static bool Any(const Scope& scope, Pred pred) {
    for (int i : scope.nodes) {
      if (pred(scope.trace.nodes[i])) return true;
    }
    return false;
  }

  bool Keyword(const Node& n, const Scope& scope) const {
    const std::string& k = n.keyword;
    const XrayNode* p = scope.primary;
    auto boolean = [&](bool actual) {
      if (n.compare == FilterCompare::kPresent) return actual;
      bool wanted = std::get<bool>(n.value);
      return n.compare == FilterCompare::kEq ? actual == wanted : actual != wanted;
    };
    auto number = [&](std::optional<double> actual) {
      return actual && CompareNumber(n.compare, *actual, std::get<double>(n.value));
    };
    auto text = [&](const std::string& actual) {
      return CompareString(n.compare, actual, std::get<std::string>(n.value));
    };
    auto any_text = [&](auto member) {
      return Any(scope, [&](const XrayNode& x) { return !(x.*member).empty() && text(x.*member); });
    };
    // On the whole trace a flag is set when any segment or subsegment has it (the trace
    // summary's HasFault); inside service() or edge() it is that node's own flag, as in
    // X-Ray's service map, where a caller's faulting call is the edge's fault, not the caller's.
    auto flag = [&](auto member) {
      if (scope.whole_trace) return Any(scope, [&](const XrayNode& x) { return x.*member; });
      return p != nullptr && p->*member;
    };
    if (k == "error") return boolean(flag(&XrayNode::error));
    if (k == "fault") return boolean(flag(&XrayNode::fault));
    if (k == "throttle") return boolean(flag(&XrayNode::throttle));
    if (k == "ok") return boolean(!flag(&XrayNode::error) && !flag(&XrayNode::fault) && !flag(&XrayNode::throttle));
    if (k == "partial") return boolean(scope.trace.partial);
    if (k == "inferred") return boolean(p && !p->is_segment && !InferredType(*p).empty());
    if (k == "root") return boolean(p && scope.trace.Root() == p);
    if (k == "remote") return boolean(p && p->namespace_ == "remote");
    if (k == "first") return boolean(p && (p->parent < 0 || scope.trace.nodes[p->parent].segment == scope.trace.root));
    if (k == "last") {
      return boolean(p && std::none_of(p->children.begin(), p->children.end(),
                                       [&](int c) { return scope.trace.nodes[c].is_segment; }));
    }
    if (k == "responsetime") return number(p ? std::optional<double>(p->Duration()) : std::nullopt);
    if (k == "duration") {
      return number(scope.whole_trace ? std::optional<double>(scope.trace.Duration())
                                      : (p ? std::optional<double>(p->Duration()) : std::nullopt));
    }
    if (k == "index" || k == "coverage") return false;  // X-Ray console statistics Waggle doesn't compute
    if (k == "http.status") {
      for (const XrayNode* x : HttpNodes(scope)) {
        if (x->http_status != 0) return number(static_cast<double>(x->http_status));
      }
      return false;
    }
    if (k == "http.url" || k == "http.method" || k == "http.useragent" || k == "http.clientip") {
      for (const XrayNode* x : HttpNodes(scope)) {
        const std::string& v = k == "http.url" ? x->http_url : k == "http.method" ? x->http_method
                               : k == "http.useragent" ? x->http_user_agent : x->http_client_ip;
        if (!v.empty()) return text(v);
      }
      return false;
    }
    if (k == "user") return any_text(&XrayNode::user);
    if (k == "name") {
      return Any(scope, [&](const XrayNode& x) { return (x.is_segment || !InferredType(x).empty()) && text(x.name); }) ||
             (p && !p->is_segment && text(p->name));
    }
    if (k == "type") {
      return Any(scope, [&](const XrayNode& x) {
        return x.is_segment ? !x.origin.empty() && text(x.origin) : !InferredType(x).empty() && text(InferredType(x));
      });
    }
    if (k == "message") return any_text(&XrayNode::exception_message);
    if (k == "availabilityzone") return any_text(&XrayNode::availability_zone);
    if (k == "instance.id") return any_text(&XrayNode::instance_id);
    if (k == "resource.arn") return any_text(&XrayNode::resource_arn);
    return false;
  }

  // The primary node first (the root segment's http is the trace's), then the rest.
  static std::vector<const XrayNode*> HttpNodes(const Scope& scope) {
    std::vector<const XrayNode*> out;
    if (scope.primary) out.push_back(scope.primary);
    if (!scope.whole_trace) {
      for (int i : scope.nodes) out.push_back(&scope.trace.nodes[i]);
    }
    return out;
  }

  static Scope SegmentScope(const XrayTrace& trace, int segment) {
    Scope s{trace, {}, &trace.nodes[segment], false};
    for (size_t i = 0; i < trace.nodes.size(); ++i) {
      if (trace.nodes[i].segment == segment) s.nodes.push_back(static_cast<int>(i));
    }
    return s;
  }

  bool Service(const Node& n, const XrayTrace& trace) const {
    for (size_t i = 0; i < trace.nodes.size(); ++i) {
      const XrayNode& x = trace.nodes[i];
      const bool inferred = !x.is_segment && !InferredType(x).empty() && !HasCalleeSegment(trace, static_cast<int>(i));
      if (!x.is_segment && !inferred) continue;
      if (!n.names.empty() && (x.is_segment ? x.name : x.CalleeName()) != n.names[0]) continue;
      if (n.children.empty()) return true;
      Scope scope = x.is_segment ? SegmentScope(trace, static_cast<int>(i)) : Scope{trace, {static_cast<int>(i)}, &x, false};
      if (Eval(*n.children[0], scope)) return true;
    }
    return false;
  }

  static bool HasCalleeSegment(const XrayTrace& trace, int subsegment) {
    for (int c : trace.nodes[subsegment].children) {
      if (trace.nodes[c].is_segment) return true;
    }
    return false;
  }

  bool Edge(const Node& n, const XrayTrace& trace) const {
    for (size_t i = 0; i < trace.nodes.size(); ++i) {
      const XrayNode& call = trace.nodes[i];
      if (call.is_segment || call.service != n.names[0]) continue;
      bool to_target = false;
      for (int c : call.children) {
        if (trace.nodes[c].is_segment && trace.nodes[c].name == n.names[1]) to_target = true;
      }
      if (!to_target && !(call.CalleeName() == n.names[1] && !InferredType(call).empty())) continue;
      if (n.children.empty()) return true;
      if (Eval(*n.children[0], Scope{trace, {static_cast<int>(i)}, &call, false})) return true;
    }
    return false;
  }

  // A group's expression, evaluated on the same trace. Groups may name groups; the depth
  // is capped so a cycle (a group naming itself) ends as "no match".
  bool Group(const Node& n, const XrayTrace& trace) const {
    static thread_local int depth = 0;
    if (!groups_ || depth >= 4) return false;
    auto expression = groups_(n.keyword, std::get<std::string>(n.value));
    if (!expression) return false;
    auto parsed = FilterExpression::Parse(*expression);
    if (!parsed.ok()) return false;
    ++depth;
    bool matched = parsed->Matches(trace, groups_);
    --depth;
    return matched;
  }

  // The root cause of a fault or error: the deepest node with the flag whose children don't
  // have it; of response time: the end of the longest path of slowest children.
  bool RootCause(const Node& n, const XrayTrace& trace) const {
    const std::string& k = n.keyword;
    std::vector<int> causes;
    if (k.starts_with("responsetime")) {
      int at = trace.root;
      while (at >= 0 && !trace.nodes[at].children.empty()) {
        int slowest = trace.nodes[at].children[0];
        for (int c : trace.nodes[at].children) {
          if (trace.nodes[c].Duration() > trace.nodes[slowest].Duration()) slowest = c;
        }
        at = slowest;
      }
      if (at >= 0) causes.push_back(at);
    } else {
      const bool fault = k.starts_with("fault");
      auto flagged = [&](const XrayNode& x) { return fault ? x.fault : (x.error && !x.fault); };
      for (size_t i = 0; i < trace.nodes.size(); ++i) {
        const XrayNode& x = trace.nodes[i];
        if (!flagged(x)) continue;
        if (std::none_of(x.children.begin(), x.children.end(), [&](int c) { return flagged(trace.nodes[c]); })) {
          causes.push_back(static_cast<int>(i));
        }
      }
    }
    for (int cause : causes) {
      if (n.children.empty()) return true;
      const XrayNode& x = trace.nodes[cause];
      Scope scope = k.ends_with(".service") && x.segment >= 0 ? SegmentScope(trace, x.segment)
                                                              : Scope{trace, {cause}, &x, false};
      if (Eval(*n.children[0], scope)) return true;
    }
    return false;
  }

  const FilterExpression::GroupLookup& groups_;
};

void CollectServices(const Node& n, std::vector<std::string>& out) {
  if (n.kind == Node::Kind::kService && !n.names.empty()) out.push_back(n.names[0]);
  if (n.kind == Node::Kind::kAnd || n.kind == Node::Kind::kOr) {
    for (const auto& c : n.children) CollectServices(*c, out);
  }
}

// Only what every match needs: AND's children, and what service() and edge() name with their
// inner filters; nothing under OR or NOT.
void CollectHint(const Node& n, store::TraceHint& hint) {
  auto text = [&](const std::string& name) {
    if (!name.empty()) hint.texts.push_back(name);
  };
  switch (n.kind) {
    case Node::Kind::kAnd:
      for (const auto& c : n.children) CollectHint(*c, hint);
      break;
    case Node::Kind::kAnnotation:
      hint.keys.push_back(StrCat(fields::kAnnotationPrefix, n.key));
      break;
    case Node::Kind::kService:
    case Node::Kind::kEdge:
      for (const std::string& name : n.names) text(name);
      for (const auto& c : n.children) CollectHint(*c, hint);
      break;
    case Node::Kind::kId:
      if (!n.names.empty()) text(n.names[0]);
      break;
    default:
      break;
  }
}

}  // namespace

absl::StatusOr<FilterExpression> FilterExpression::Parse(std::string_view text) {
  FilterExpression expression;
  expression.text_ = std::string(text);
  if (TrimAsciiWhitespace(text).empty()) return expression;
  if (text.size() > 2000) return absl::InvalidArgumentError("filter expression longer than 2000 characters");
  Parser parser(text);
  auto root = parser.ParseAll();
  if (!root.ok()) return root.status();
  expression.root_ = std::shared_ptr<const FilterNode>(std::move(*root));
  return expression;
}

bool FilterExpression::Matches(const XrayTrace& trace, const GroupLookup& groups) const {
  if (!root_) return true;
  Scope scope{trace, {}, trace.Root(), true};
  scope.nodes.reserve(trace.nodes.size());
  for (size_t i = 0; i < trace.nodes.size(); ++i) scope.nodes.push_back(static_cast<int>(i));
  return Evaluator(groups).Eval(*root_, scope);
}

std::vector<std::string> FilterExpression::NamedServices() const {
  std::vector<std::string> out;
  if (root_) CollectServices(*root_, out);
  return out;
}

store::TraceHint FilterExpression::Hint() const {
  store::TraceHint hint;
  if (root_) CollectHint(*root_, hint);
  return hint;
}

}  // namespace waggle::xray
