// A small, allocation-friendly JSON writer for the sensor's JSON Lines output and the collector's
// responses. It writes into one std::string and never builds a DOM.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dbaudit {

// Appends `s` as a JSON string literal (with quotes). Bytes that are not valid UTF-8 are written
// as \u00XX escapes of the raw byte (Latin-1 reading), so binary data in SQL never breaks a line.
void AppendJsonString(std::string* out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-serialised JSON as one value.
  JsonWriter& Raw(std::string_view json);

  // Key + value shorthands.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const std::string& v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, uint64_t v) { return Key(k).Uint(v); }
  JsonWriter& Field(std::string_view k, int v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, unsigned v) { return Key(k).Uint(v); }
  JsonWriter& Field(std::string_view k, bool v) { return Key(k).Bool(v); }

 private:
  void Comma();
  std::string* out_;
  bool need_comma_ = false;
};

}  // namespace dbaudit
