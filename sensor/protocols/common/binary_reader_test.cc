#include "sensor/protocols/common/binary_reader.h"

#include <gtest/gtest.h>

namespace dbaudit::sensor::protocols {
namespace {

TEST(BinaryReaderTest, ReadsLittleAndBigEndian) {
  const uint8_t b[] = {0x01, 0x02, 0x03, 0x04};
  BinaryReader le(b, 4);
  uint32_t v;
  ASSERT_TRUE(le.ReadLE32(&v));
  EXPECT_EQ(v, 0x04030201u);
  BinaryReader be(b, 4);
  ASSERT_TRUE(be.ReadBE32(&v));
  EXPECT_EQ(v, 0x01020304u);
}

TEST(BinaryReaderTest, ShortInputFailsWithoutMovingTheCursor) {
  const uint8_t b[] = {0x01, 0x02, 0x03};
  BinaryReader r(b, 3);
  uint32_t v;
  EXPECT_FALSE(r.ReadLE32(&v));
  EXPECT_EQ(r.position(), 0u);
  std::string_view s;
  EXPECT_FALSE(r.ReadCString(&s));
  EXPECT_EQ(r.position(), 0u);
}

TEST(BinaryReaderTest, LengthEncodedIntegersAndStrings) {
  const uint8_t b[] = {0xFA, 0xFC, 0x34, 0x12, 0xFD, 0x01, 0x02, 0x03, 0x03, 'a', 'b', 'c', 0x05, 'x'};
  BinaryReader r(b, sizeof(b));
  uint64_t v;
  ASSERT_TRUE(r.ReadLenEncInt(&v));
  EXPECT_EQ(v, 250u);
  ASSERT_TRUE(r.ReadLenEncInt(&v));
  EXPECT_EQ(v, 0x1234u);
  ASSERT_TRUE(r.ReadLenEncInt(&v));
  EXPECT_EQ(v, 0x030201u);
  std::string_view s;
  ASSERT_TRUE(r.ReadLenEncString(&s));
  EXPECT_EQ(s, "abc");
  const size_t before = r.position();
  EXPECT_FALSE(r.ReadLenEncString(&s));  // says 5 bytes, only 1 left
  EXPECT_EQ(r.position(), before);
}

TEST(BinaryReaderTest, NullLengthPrefixIsNotAnInteger) {
  const uint8_t b[] = {0xFB};
  BinaryReader r(b, 1);
  uint64_t v;
  EXPECT_FALSE(r.ReadLenEncInt(&v));
  EXPECT_EQ(r.PeekU8(), 0xFB);
}

}  // namespace
}  // namespace dbaudit::sensor::protocols
