#include "collector/api/auth.h"

#include <gtest/gtest.h>

#include "collector/store/test_util.h"
#include "common/status_test_util.h"

namespace dbaudit::collector::api {
namespace {

TEST(AuthTest, Sha256KnownAnswer) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AuthTest, GeneratedKeysAreDistinctAndWellFormed) {
  auto a = GenerateApiKey();
  auto b = GenerateApiKey();
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->size(), 44u);
  EXPECT_EQ(a->substr(0, 4), "dbk_");
}

TEST(AuthTest, FirstStartCreatesOneKeyAndKeepsOnlyItsHash) {
  collector::testing::TempDir dir;
  auto store = store::EventStore::Open({dir.path(), 1000, false});
  ASSERT_OK(store);
  auto first = EnsureApiKey(store->get());
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  const std::string key = **first;
  auto second = EnsureApiKey(store->get());
  ASSERT_OK(second);
  EXPECT_FALSE(second->has_value());  // shown once only
  auto stored = (*store)->GetSetting(kApiKeyHashSetting);
  ASSERT_OK(stored);
  EXPECT_EQ(*stored, Sha256Hex(key));
  EXPECT_EQ(stored->find(key.substr(4)), std::string::npos);
  auto verifier = ApiKeyVerifier::FromStore(store->get());
  ASSERT_OK(verifier);
  EXPECT_TRUE(verifier->Verify(key));
  EXPECT_FALSE(verifier->Verify(key + "x"));
  EXPECT_FALSE(verifier->Verify(""));
  EXPECT_FALSE(verifier->Verify(*stored));  // the hash itself is not a key
}

TEST(AuthTest, BearerToken) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer   abc  "), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken(""), "");
}

}  // namespace
}  // namespace dbaudit::collector::api
