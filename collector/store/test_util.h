// Test helpers shared by the collector's tests: a temporary directory and record builders.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "dbaudit/v1/records.pb.h"

namespace dbaudit::collector::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/dbaudit-test-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline dbaudit::v1::Record BaseRecord(uint64_t seq, int64_t ts_us) {
  dbaudit::v1::Record r;
  r.set_seq(seq);
  r.set_timestamp_us(ts_us);
  r.set_session_id("s-0000000000000001");
  r.set_protocol(dbaudit::v1::PROTOCOL_MYSQL);
  r.set_client_ip("10.0.0.5");
  r.set_client_port(50000);
  r.set_server_ip("10.0.0.9");
  r.set_server_port(3306);
  r.set_db_user("alice");
  r.set_database("shop");
  r.set_client_name("mysql");
  return r;
}

inline dbaudit::v1::Record StatementRecord(uint64_t seq, int64_t ts_us, const std::string& sql,
                                           const std::string& query_type, bool success = true) {
  dbaudit::v1::Record r = BaseRecord(seq, ts_us);
  auto* s = r.mutable_statement();
  s->set_sql_statement(sql);
  s->set_query_type(query_type);
  s->set_sql_response(success ? dbaudit::v1::SQL_RESPONSE_SUCCESS : dbaudit::v1::SQL_RESPONSE_FAILED);
  return r;
}

inline dbaudit::v1::Record LoginRecord(uint64_t seq, int64_t ts_us, bool success) {
  dbaudit::v1::Record r = BaseRecord(seq, ts_us);
  r.mutable_login()->set_success(success);
  if (!success) {
    r.mutable_login()->set_error_code("1045");
    r.mutable_login()->set_error_msg("Access denied");
  }
  return r;
}

}  // namespace dbaudit::collector::testing
