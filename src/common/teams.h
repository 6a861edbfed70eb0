// Teams: every API key (and AWS access key) belongs to one, and a team's data is its own
// store. Keys configured without a team belong to the default team, whose data is the data
// directory itself, so a server without teams looks as it always did.
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace waggle {

inline constexpr std::string_view kDefaultTeam = "default";

// A team name is also a directory name: 1-64 of [A-Za-z0-9_-], starting with a letter or
// digit, and not a key scope's name (so KEY:SCOPE:TEAM stays unambiguous).
inline bool IsValidTeamName(std::string_view team) {
  if (team == "ingest" || team == "query" || team == "all") return false;
  if (team.empty() || team.size() > 64 || !std::isalnum(static_cast<unsigned char>(team[0]))) return false;
  return std::all_of(team.begin(), team.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

}  // namespace waggle
