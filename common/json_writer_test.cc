#include "common/json_writer.h"

#include <gtest/gtest.h>

namespace dbaudit {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriterTest, EscapesControlAndQuoteCharacters) {
  EXPECT_EQ(Quote("a\"b\\c\nd\te\r"), R"("a\"b\\c\nd\te\r")");
  EXPECT_EQ(Quote(std::string_view("\x01", 1)), R"("\u0001")");
  EXPECT_EQ(Quote(std::string_view("\0", 1)), R"("\u0000")");
}

TEST(JsonWriterTest, KeepsValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(Quote("h\xC3\xA9llo \xE2\x82\xAC"), "\"h\xC3\xA9llo \xE2\x82\xAC\"");
  EXPECT_EQ(Quote("\xFF\xC3"), R"("\u00ff\u00c3")");
  // An overlong encoding of '/' is not valid UTF-8.
  EXPECT_EQ(Quote("\xC0\xAF"), R"("\u00c0\u00af")");
  // A UTF-16 surrogate encoded in UTF-8 is not valid either.
  EXPECT_EQ(Quote("\xED\xA0\x80"), R"("\u00ed\u00a0\u0080")");
}

TEST(JsonWriterTest, WritesNestedStructures) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("a", int64_t{-3}).Key("b").BeginArray().Uint(1).Bool(false).Null().EndArray();
  w.Key("c").BeginObject().Field("d", "x").EndObject().EndObject();
  EXPECT_EQ(out, R"({"a":-3,"b":[1,false,null],"c":{"d":"x"}})");
}

}  // namespace
}  // namespace dbaudit
