// Shared fixture of the API tests: a real store in a temp dir with a small known data set.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <memory>
#include <string>

#include "collector/store/event_store.h"
#include "collector/store/test_util.h"
#include "common/status_test_util.h"

namespace dbaudit::collector::api {

inline constexpr int64_t kT0 = 1700000000000000;  // 2023-11-14 22:13:20 UTC

class ApiStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::EventStore::Open({dir_.path(), 1'000'000, false});
    ASSERT_OK(store);
    store_ = std::move(*store);
  }

  // seq 1: connect (t0), 2: login ok (t0+1s), 3: CREATE TABLE (t0+2s), 4: INSERT failed (t0+3s),
  // 5: SELECT by bob from 10.0.0.6 (t0+4s), 6: login failed (t0+5s).
  void WriteSample() {
    dbaudit::v1::RecordBatch batch;
    batch.set_sensor_id("sensor-1");
    auto connect = collector::testing::BaseRecord(1, kT0);
    connect.mutable_connect();
    *batch.add_records() = connect;
    *batch.add_records() = collector::testing::LoginRecord(2, kT0 + 1000000, true);
    auto create = collector::testing::StatementRecord(3, kT0 + 2000000, "create table t(a int)", "CREATE_TABLE");
    auto* obj = create.mutable_statement()->add_operated_obj_info();
    obj->set_schema_name("shop");
    obj->set_table_name("t");
    obj->set_object_type("TABLE");
    obj->set_sql_type("CREATE TABLE");
    *batch.add_records() = create;
    auto insert = collector::testing::StatementRecord(4, kT0 + 3000000, "insert into t values ('x')", "INSERT", false);
    insert.mutable_statement()->set_error_code("1366");
    insert.mutable_statement()->set_error_msg("Incorrect integer value");
    *batch.add_records() = insert;
    auto select = collector::testing::StatementRecord(5, kT0 + 4000000, "select * from t", "SELECT");
    select.set_db_user("bob");
    select.set_client_ip("10.0.0.6");
    select.mutable_statement()->set_returned_rows(0);
    *batch.add_records() = select;
    *batch.add_records() = collector::testing::LoginRecord(6, kT0 + 5000000, false);
    ASSERT_OK(store_->Write(batch));
  }

  static rapidjson::Document Parse(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str());
    EXPECT_FALSE(doc.HasParseError()) << body;
    return doc;
  }

  collector::testing::TempDir dir_;
  std::unique_ptr<store::EventStore> store_;
};

}  // namespace dbaudit::collector::api
