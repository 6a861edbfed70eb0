#include "query/query_text.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include "common/status_macros.h"
#include "common/strings.h"

namespace waggle::query {
namespace {

struct Token {
  enum Kind { kWord, kString, kOperator, kOpen, kClose, kComma, kEnd } kind;
  std::string text;
  size_t position;
};

bool IsOperatorChar(char c) { return c == '<' || c == '>' || c == '!' || c == '='; }

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '(') {
      tokens.push_back({Token::kOpen, "(", i++});
    } else if (c == ')') {
      tokens.push_back({Token::kClose, ")", i++});
    } else if (c == ',') {
      tokens.push_back({Token::kComma, ",", i++});
    } else if (c == '"' || c == '\'') {
      const size_t start = i++;
      std::string text;
      while (i < s.size() && s[i] != c) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        text.push_back(s[i++]);
      }
      if (i >= s.size()) return absl::InvalidArgumentError(StrCat("at character ", start + 1, ": unterminated string"));
      ++i;
      tokens.push_back({Token::kString, std::move(text), start});
    } else if (IsOperatorChar(c)) {
      const size_t start = i;
      while (i < s.size() && IsOperatorChar(s[i])) ++i;
      tokens.push_back({Token::kOperator, std::string(s.substr(start, i - start)), start});
    } else {
      const size_t start = i;
      while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '(' &&
             s[i] != ')' && s[i] != ',' && !IsOperatorChar(s[i]) && s[i] != '"' && s[i] != '\'') {
        ++i;
      }
      tokens.push_back({Token::kWord, std::string(s.substr(start, i - start)), start});
    }
  }
  tokens.push_back({Token::kEnd, "", s.size()});
  return tokens;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, int64_t now) : tokens_(std::move(tokens)), now_(now) {}

  absl::StatusOr<QuerySpec> Parse() {
    QuerySpec spec;
    while (Peek().kind == Token::kWord && !IsClause(Peek()) ) {
      ASSIGN_OR_RETURN(Calculation c, ParseCalculation());
      spec.calculations.push_back(std::move(c));
      if (Peek().kind == Token::kComma) Next();
    }
    bool range_given = false, start_given = false, end_given = false;
    while (Peek().kind != Token::kEnd) {
      const Token& t = Peek();
      const std::string kw = AsciiLower(t.text);
      if (t.kind != Token::kWord) return Error(t, "expected WHERE, GROUP BY, ORDER BY, HAVING, LIMIT, LAST, START, END or GRANULARITY");
      Next();
      if (kw == "where") {
        RETURN_IF_NOT_OK(ParseFilters(spec));
      } else if (kw == "group") {
        RETURN_IF_NOT_OK(ExpectWord("by"));
        do {
          ASSIGN_OR_RETURN(std::string column, ParseColumn());
          spec.breakdowns.push_back(std::move(column));
        } while (Accept(Token::kComma));
      } else if (kw == "order") {
        RETURN_IF_NOT_OK(ExpectWord("by"));
        do {
          Order order;
          if (Peek().kind == Token::kWord && ParseCalculationOp(Peek().text) &&
              (Peek(1).kind == Token::kOpen || !NeedsColumn(*ParseCalculationOp(Peek().text)))) {
            ASSIGN_OR_RETURN(Calculation c, ParseCalculation());
            order.op = c.op;
            order.column = c.column;
          } else {
            ASSIGN_OR_RETURN(order.column, ParseColumn());
          }
          if (Peek().kind == Token::kWord && (AsciiLower(Peek().text) == "desc" || AsciiLower(Peek().text) == "asc")) {
            order.descending = AsciiLower(Next().text) == "desc";
          }
          spec.orders.push_back(std::move(order));
        } while (Accept(Token::kComma));
      } else if (kw == "having") {
        do {
          Having having;
          ASSIGN_OR_RETURN(Calculation c, ParseCalculation());
          having.calculate_op = c.op;
          having.column = c.column;
          const Token& op = Next();
          auto parsed = ParseFilterOp(op.text);
          if (op.kind != Token::kOperator || !parsed) return Error(op, "expected = != > >= < <= after the having's calculation");
          having.op = *parsed;
          const Token& value = Next();
          double v = 0;
          auto [end, ec] = std::from_chars(value.text.data(), value.text.data() + value.text.size(), v);
          if (value.text.empty() || ec != std::errc() || end != value.text.data() + value.text.size()) {
            return Error(value, "expected a number");
          }
          having.value = v;
          spec.havings.push_back(std::move(having));
        } while (Peek().kind == Token::kWord && AsciiLower(Peek().text) == "and" && (Next(), true));
      } else if (kw == "limit") {
        const Token& n = Next();
        int limit = 0;
        auto [end, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), limit);
        if (n.text.empty() || ec != std::errc() || end != n.text.data() + n.text.size()) return Error(n, "expected a number");
        spec.limit = limit;
      } else if (kw == "last") {
        const Token& d = Next();
        auto seconds = ParseDurationSeconds(d.text);
        if (!seconds.ok()) return Error(d, std::string(seconds.status().message()));
        spec.time_range = *seconds;
        range_given = true;
      } else if (kw == "start" || kw == "end") {
        const Token& v = Next();
        auto seconds = ParseTime(v.text);
        if (!seconds) return Error(v, "expected a time: RFC 3339 (2026-11-27T20:00:00Z) or unix seconds");
        (kw == "start" ? spec.start_time : spec.end_time) = *seconds;
        (kw == "start" ? start_given : end_given) = true;
      } else if (kw == "granularity") {
        const Token& d = Next();
        auto seconds = ParseDurationSeconds(d.text);
        if (!seconds.ok()) return Error(d, std::string(seconds.status().message()));
        spec.granularity = *seconds;
      } else {
        return Error(t, StrCat("unexpected '", t.text, "': expected WHERE, GROUP BY, ORDER BY, HAVING, LIMIT, LAST, START, END or GRANULARITY"));
      }
    }
    RETURN_IF_NOT_OK(ValidateQuerySpec(spec, range_given, start_given, end_given, now_));
    return spec;
  }

 private:
  static bool IsClause(const Token& t) {
    static const char* const kClauses[] = {"where", "group", "order", "having", "limit", "last", "start", "end", "granularity"};
    const std::string kw = AsciiLower(t.text);
    for (const char* c : kClauses) {
      if (kw == c) return true;
    }
    return false;
  }

  const Token& Peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& Next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool Accept(Token::Kind kind) {
    if (Peek().kind != kind) return false;
    Next();
    return true;
  }
  absl::Status Error(const Token& t, std::string_view message) const {
    return absl::InvalidArgumentError(StrCat("at character ", t.position + 1,
                                             t.kind == Token::kEnd ? " (end of query)" : "", ": ", message));
  }
  absl::Status ExpectWord(std::string_view word) {
    const Token& t = Next();
    if (t.kind != Token::kWord || AsciiLower(t.text) != word) return Error(t, StrCat("expected ", word));
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ParseColumn() {
    const Token& t = Next();
    if (t.kind != Token::kWord && t.kind != Token::kString) return Error(t, "expected a column name");
    return t.text;
  }

  absl::StatusOr<Calculation> ParseCalculation() {
    const Token& t = Next();
    auto op = ParseCalculationOp(t.text);
    if (t.kind != Token::kWord || !op) {
      return Error(t, StrCat("expected a calculation such as COUNT, P99(duration_ms) or HEATMAP(duration_ms), not '", t.text, "'"));
    }
    Calculation c{*op, ""};
    if (Accept(Token::kOpen)) {
      ASSIGN_OR_RETURN(c.column, ParseColumn());
      if (!Accept(Token::kClose)) return Error(Peek(), "expected ')'");
    } else if (NeedsColumn(*op)) {
      return Error(Peek(), StrCat(CalculationOpName(*op), " needs a column: ", CalculationOpName(*op), "(duration_ms)"));
    }
    return c;
  }

  Literal ParseValue(const Token& t) {
    if (t.kind == Token::kString) return t.text;
    if (t.text == "true") return true;
    if (t.text == "false") return false;
    int64_t i = 0;
    auto [ie, iec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), i);
    if (!t.text.empty() && iec == std::errc() && ie == t.text.data() + t.text.size()) return i;
    double d = 0;
    auto [de, dec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), d);
    if (!t.text.empty() && dec == std::errc() && de == t.text.data() + t.text.size()) return d;
    return t.text;
  }

  absl::Status ParseFilters(QuerySpec& spec) {
    std::optional<bool> combination_or;
    while (true) {
      Filter f;
      ASSIGN_OR_RETURN(f.column, ParseColumn());
      const Token& op_token = Next();
      auto op = ParseFilterOp(op_token.text);
      if ((op_token.kind != Token::kOperator && op_token.kind != Token::kWord) || !op) {
        return Error(op_token, StrCat("expected a filter op (= != > >= < <= starts-with does-not-start-with ends-with "
                                      "does-not-end-with exists does-not-exist contains does-not-contain in not-in) after '",
                                      f.column, "'"));
      }
      f.op = *op;
      if (f.op == FilterOp::kIn || f.op == FilterOp::kNotIn) {
        if (!Accept(Token::kOpen)) return Error(Peek(), "expected '(' and a list of values");
        do {
          const Token& v = Next();
          if (v.kind != Token::kWord && v.kind != Token::kString) return Error(v, "expected a value");
          f.values.push_back(ParseValue(v));
        } while (Accept(Token::kComma));
        if (!Accept(Token::kClose)) return Error(Peek(), "expected ')'");
      } else if (f.op != FilterOp::kExists && f.op != FilterOp::kDoesNotExist) {
        const Token& v = Next();
        if (v.kind != Token::kWord && v.kind != Token::kString) return Error(v, "expected a value");
        f.values.push_back(ParseValue(v));
      }
      spec.filters.push_back(std::move(f));
      if (Peek().kind != Token::kWord) break;
      const std::string kw = AsciiLower(Peek().text);
      if (kw != "and" && kw != "or") break;
      if (combination_or && *combination_or != (kw == "or")) {
        return Error(Peek(), "filters are joined by AND or by OR, not both");
      }
      combination_or = kw == "or";
      Next();
    }
    spec.filter_or = combination_or.value_or(false);
    return absl::OkStatus();
  }

  std::optional<int64_t> ParseTime(std::string_view s) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) return v;
    std::tm tm{};
    const std::string text(s);
    const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest == nullptr) return std::nullopt;
    if (*rest == 'Z' || *rest == '\0') return static_cast<int64_t>(timegm(&tm));
    return std::nullopt;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int64_t now_;
};

}  // namespace

absl::StatusOr<int64_t> ParseDurationSeconds(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("expected a duration such as 30s, 10m, 1h, 7d");
  int64_t multiplier = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 's': multiplier = 1; digits.remove_suffix(1); break;
    case 'm': multiplier = 60; digits.remove_suffix(1); break;
    case 'h': multiplier = 3600; digits.remove_suffix(1); break;
    case 'd': multiplier = 86400; digits.remove_suffix(1); break;
    case 'w': multiplier = 7 * 86400; digits.remove_suffix(1); break;
    default: break;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || v <= 0 || v > (INT64_MAX / multiplier)) {
    return absl::InvalidArgumentError(StrCat("'", text.substr(0, 32), "' is not a duration such as 30s, 10m, 1h, 7d"));
  }
  return v * multiplier;
}

absl::StatusOr<QuerySpec> ParseQueryText(std::string_view text, int64_t now) {
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  return Parser(std::move(tokens), now).Parse();
}

}  // namespace waggle::query
