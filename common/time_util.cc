#include "common/time_util.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace dbaudit {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
  int64_t micros;
};

Civil ToCivil(int64_t ts_us) {
  int64_t secs = ts_us / 1000000;
  int64_t micros = ts_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  return Civil{y, m, d, static_cast<unsigned>(rem / 3600), static_cast<unsigned>(rem % 3600 / 60),
               static_cast<unsigned>(rem % 60), micros};
}

bool ReadDigits(std::string_view s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ValidDate(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return false;
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

// Parses "YYYY-MM-DD?HH:MM:SS" where ? is `sep`; sets *pos past it.
std::optional<int64_t> ParseDateTime(std::string_view t, char sep, size_t* pos) {
  int64_t y, mo, d, h = 0, mi = 0, s = 0;
  if (!ReadDigits(t, 0, 4, &y) || t.size() < 10 || t[4] != '-' || !ReadDigits(t, 5, 2, &mo) ||
      t[7] != '-' || !ReadDigits(t, 8, 2, &d)) {
    return std::nullopt;
  }
  *pos = 10;
  if (t.size() > 10 && (t[10] == sep || (sep == 'T' && t[10] == 't'))) {
    if (t.size() < 19 || !ReadDigits(t, 11, 2, &h) || t[13] != ':' || !ReadDigits(t, 14, 2, &mi) ||
        t[16] != ':' || !ReadDigits(t, 17, 2, &s)) {
      return std::nullopt;
    }
    *pos = 19;
  }
  if (!ValidDate(y, mo, d, h, mi, s)) return std::nullopt;
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400) + h * 3600 + mi * 60 + s) * 1000000;
}

}  // namespace

// Writes `v` as exactly `width` decimal digits, zero-padded, at p; returns the end.
static char* PutDigits(char* p, int64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

// Called for every record the sensor writes, so no printf.
std::string FormatTimestampUs(int64_t ts_us) {
  const Civil c = ToCivil(ts_us);
  char buf[32];
  char* p = buf;
  if (c.year < 0 || c.year > 9999) {
    p += std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(c.year));
  } else {
    p = PutDigits(p, c.year, 4);
  }
  *p++ = '-';
  p = PutDigits(p, c.month, 2);
  *p++ = '-';
  p = PutDigits(p, c.day, 2);
  *p++ = 'T';
  p = PutDigits(p, c.hour, 2);
  *p++ = ':';
  p = PutDigits(p, c.minute, 2);
  *p++ = ':';
  p = PutDigits(p, c.second, 2);
  *p++ = '.';
  p = PutDigits(p, c.micros, 6);
  *p++ = 'Z';
  return std::string(buf, p);
}

std::string FormatTimestampSeconds(int64_t ts_us) {
  const Civil c = ToCivil(ts_us);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02u:%02u:%02uZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::string FormatTimestampSpace(int64_t ts_us) {
  const Civil c = ToCivil(ts_us);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02u:%02u:%02u", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::optional<int64_t> ParseIso8601Us(std::string_view t) {
  size_t pos = 0;
  auto base = ParseDateTime(t, 'T', &pos);
  if (!base) return std::nullopt;
  int64_t us = *base;
  if (pos == 19 && pos < t.size() && t[pos] == '.') {
    ++pos;
    int64_t frac = 0;
    int digits = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (digits < 6) frac = frac * 10 + (t[pos] - '0'), ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    while (digits < 6) frac *= 10, ++digits;
    us += frac;
  }
  if (pos == t.size()) return us;
  if ((t[pos] == 'Z' || t[pos] == 'z') && pos + 1 == t.size()) return us;
  if ((t[pos] == '+' || t[pos] == '-') && pos + 6 == t.size() && t[pos + 3] == ':') {
    int64_t hh, mm;
    if (!ReadDigits(t, pos + 1, 2, &hh) || !ReadDigits(t, pos + 4, 2, &mm) || hh > 23 || mm > 59) {
      return std::nullopt;
    }
    const int64_t offset = (hh * 3600 + mm * 60) * 1000000;
    return t[pos] == '+' ? us - offset : us + offset;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseSpaceTimestampUs(std::string_view t) {
  size_t pos = 0;
  auto v = ParseDateTime(t, ' ', &pos);
  if (!v || pos != 19 || t.size() != 19) return std::nullopt;
  return v;
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace dbaudit
