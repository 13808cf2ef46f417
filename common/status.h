// Status helpers missing from Debian's abseil 20220623 (no absl/status/status_macros.h).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DBAUDIT_CONCAT_INNER_(a, b) a##b
#define DBAUDIT_CONCAT_(a, b) DBAUDIT_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    ::absl::Status dbaudit_status_ = (expr);          \
    if (!dbaudit_status_.ok()) return dbaudit_status_; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(DBAUDIT_CONCAT_(dbaudit_statusor_, __LINE__), lhs, expr)
