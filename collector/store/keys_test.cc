#include "collector/store/keys.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace dbaudit::collector::store {
namespace {

TEST(KeysTest, PrimaryKeyRoundTrips) {
  const PrimaryKey k{0x0102030405060708ULL, 0xa0b0c0d0u, 0xfffffffffffffffeULL};
  const std::string bytes = EncodePrimaryKey(k);
  ASSERT_EQ(bytes.size(), kPrimaryKeySize);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x01);  // big-endian: most significant first
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 0xa0);
  auto decoded = DecodePrimaryKey(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, k);
  EXPECT_FALSE(DecodePrimaryKey(bytes.substr(1)).has_value());
}

TEST(KeysTest, ByteOrderIsTimeThenSensorThenSeqOrder) {
  std::mt19937_64 rng(7);
  std::vector<PrimaryKey> keys;
  for (int i = 0; i < 500; ++i) {
    // Small ranges so that equal times and equal sensors actually occur.
    keys.push_back({rng() % 4 * 0x100000001ULL, static_cast<uint32_t>(rng() % 3 * 0x10001),
                    rng() % 5 * 0x1000000001ULL});
  }
  for (size_t i = 1; i < keys.size(); ++i) {
    const PrimaryKey& a = keys[i - 1];
    const PrimaryKey& b = keys[i];
    EXPECT_EQ(a < b, EncodePrimaryKey(a) < EncodePrimaryKey(b));
    EXPECT_EQ(a == b, EncodePrimaryKey(a) == EncodePrimaryKey(b));
  }
}

TEST(KeysTest, EventKeyRoundTripsAndSortsAfterItsRecord) {
  const EventKey k{{1700000000000000ULL, 3, 42}, 7};
  auto decoded = DecodeEventKey(EncodeEventKey(k));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, k);
  EXPECT_LT(EncodePrimaryKey(k.record), EncodeEventKey(k));
  EXPECT_LT(EncodeEventKey(k), EncodePrimaryKey({k.record.ts_us, k.record.sensor_num, k.record.seq + 1}));
}

TEST(KeysTest, IndexKeyTargetAndValueBoundary) {
  const std::string target = EncodePrimaryKey({5, 1, 9});
  const std::string key = EncodeIndexKey(IndexField::kDbUser, "bob", 5, target);
  auto t = IndexTarget(key);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, target);
  // The length prefix keeps "bob" entries out of a scan for "bo" (and "bobby" out of "bob").
  EXPECT_FALSE(key >= EncodeIndexPrefix(IndexField::kDbUser, "bo", 0) &&
               key < EncodeIndexPrefix(IndexField::kDbUser, "bo", UINT64_MAX));
  const std::string lo = EncodeIndexPrefix(IndexField::kDbUser, "bob", 0);
  const std::string hi = EncodeIndexPrefix(IndexField::kDbUser, "bob", 6);
  EXPECT_LE(lo, key);
  EXPECT_LT(key, hi);
  EXPECT_GE(EncodeIndexKey(IndexField::kDbUser, "bobby", 0, target), hi);
  EXPECT_FALSE(IndexTarget("").has_value());
  EXPECT_FALSE(IndexTarget(std::string("\x02\x05" "ab", 4)).has_value());  // length past the end
}

TEST(KeysTest, IndexKeysOfOneValueSortByTime) {
  const std::string a = EncodeIndexKey(IndexField::kClientIp, "10.0.0.1", 100, EncodePrimaryKey({100, 2, 1}));
  const std::string b = EncodeIndexKey(IndexField::kClientIp, "10.0.0.1", 0x100, EncodePrimaryKey({0x100, 1, 1}));
  EXPECT_LT(a, b);
}

TEST(KeysTest, LongIndexValueUsesMultiByteLength) {
  const std::string value(300, 'x');
  const std::string key = EncodeIndexKey(IndexField::kClientName, value, 1, "T");
  auto t = IndexTarget(key);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, "T");
}

TEST(KeysTest, IdsRoundTripAndSortLikeKeys) {
  const EventKey e1{{1700000000000000ULL, 1, 1}, 0};
  const EventKey e2{{1700000000000001ULL, 1, 1}, 0};
  const std::string id1 = EventIdFromKey(e1);
  EXPECT_EQ(id1.substr(0, 4), "evt_");
  EXPECT_EQ(id1.size(), 4u + 34u);
  EXPECT_LT(id1, EventIdFromKey(e2));
  auto back = EventKeyFromId(id1);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, e1);
  const std::string rid = RecordIdFromKey(e2.record);
  EXPECT_EQ(rid.size(), 32u);
  EXPECT_EQ(RecordKeyFromId(rid), e2.record);
}

TEST(KeysTest, MalformedIdsAreRejected) {
  const std::string good = EventIdFromKey({{123, 4, 5}, 0});
  EXPECT_FALSE(EventKeyFromId("evt_").has_value());
  EXPECT_FALSE(EventKeyFromId(good.substr(4)).has_value());       // no prefix
  EXPECT_FALSE(EventKeyFromId(good + "0").has_value());            // too long
  std::string upper = good;
  upper[5] = 'Z';
  EXPECT_FALSE(EventKeyFromId(upper).has_value());                 // outside the alphabet
  std::string padded = good;
  padded.back() = 'v';                                             // non-zero padding bits
  EXPECT_FALSE(EventKeyFromId(padded).has_value());
  EXPECT_FALSE(RecordKeyFromId("not-an-id").has_value());
}

}  // namespace
}  // namespace dbaudit::collector::store

namespace dbaudit::collector::store {
namespace {

TEST(KeysTest, DecodersSurviveRandomBytes) {
  std::mt19937 rng(5);
  for (int i = 0; i < 50000; ++i) {
    std::string junk(rng() % 48, '\0');
    for (char& c : junk) c = static_cast<char>(rng() % 256);
    auto target = IndexTarget(junk);
    if (target) {
      EXPECT_LE(target->size(), junk.size());
    }
    (void)DecodePrimaryKey(junk);
    (void)DecodeEventKey(junk);
    (void)EventKeyFromId("evt_" + junk);
    (void)RecordKeyFromId(junk);
  }
}

}  // namespace
}  // namespace dbaudit::collector::store
