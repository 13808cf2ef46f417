// gtest helpers for absl::Status (Debian's abseil has no status matchers).
#pragma once

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dbaudit::testing {
inline const absl::Status& ToStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& s) { return s.status(); }
}  // namespace dbaudit::testing

#define EXPECT_OK(expr) EXPECT_TRUE(::dbaudit::testing::ToStatus(expr).ok()) << ::dbaudit::testing::ToStatus(expr)
#define ASSERT_OK(expr) ASSERT_TRUE(::dbaudit::testing::ToStatus(expr).ok()) << ::dbaudit::testing::ToStatus(expr)
