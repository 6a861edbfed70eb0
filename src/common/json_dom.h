// Small helpers over simdjson's DOM (the one JSON parser on ingest paths).
#pragma once

#include <simdjson.h>

#include <optional>
#include <string_view>

namespace waggle::json_dom {

// By value: iterating `e.get_object().value_unsafe()` directly would bind the loop to a
// member of a destroyed temporary. Only for an element of that type: the empty value given
// for another type must not be iterated (it has no document; fuzzing found it).
inline simdjson::dom::object AsObject(simdjson::dom::element e) {
  simdjson::dom::object object;
  if (e.get_object().get(object) != simdjson::SUCCESS) return {};
  return object;
}
inline simdjson::dom::array AsArray(simdjson::dom::element e) {
  simdjson::dom::array array;
  if (e.get_array().get(array) != simdjson::SUCCESS) return {};
  return array;
}

// The member `key` of an object; nullopt when `e` is not an object, the key is absent or
// its value is null.
inline std::optional<simdjson::dom::element> Member(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element value;
  if (e.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

}  // namespace waggle::json_dom
