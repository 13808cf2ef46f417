// Timestamps: dbaudit carries microseconds since the Unix epoch (UTC) in int64.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbaudit {

// "2026-11-26T01:22:42.123456Z"
std::string FormatTimestampUs(int64_t ts_us);
// "2026-11-26T01:22:42Z" (the Events API's second precision).
std::string FormatTimestampSeconds(int64_t ts_us);
// "2026-11-26 01:22:42" (the audit/sqls API's yyyy-MM-dd HH:mm:ss, UTC).
std::string FormatTimestampSpace(int64_t ts_us);

// Parses ISO 8601 / RFC 3339: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)";
// a missing zone means UTC. Returns nullopt on anything else.
std::optional<int64_t> ParseIso8601Us(std::string_view text);
// Parses "yyyy-MM-dd HH:mm:ss" (UTC).
std::optional<int64_t> ParseSpaceTimestampUs(std::string_view text);

// Wall clock, microseconds since the epoch.
int64_t NowUs();

}  // namespace dbaudit
