// End to end: the real dbaudit-collector on a temp dir and ephemeral ports, the real
// dbaudit-sensor reading Zeek's captures and shipping over gRPC, then the HTTP API read back
// with the key the collector printed, and compared with what Zeek itself logged for the same
// captures (statement text, order, success; the login).
#include <signal.h>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "collector/api/test_http_client.h"
#include "collector/store/test_util.h"
#include "tests/e2e/process.h"
#include "tests/e2e/zeek_baseline.h"

namespace dbaudit::e2e {
namespace {

using collector::testing::HttpCall;
using collector::testing::HttpResult;

const std::string kZeek = std::string(DBAUDIT_SHARED_DIR) + "/corpus/zeek";
const std::string kMysqlPcap = kZeek + "/traces/mysql/mysql.pcap";
const std::string kMysqlLog = kZeek + "/baselines/scripts.base.protocols.mysql.wireshark/mysql.log";
const std::string kPgPcap = kZeek + "/traces/postgresql/psql-create-insert-select-delete-drop.pcap";
const std::string kPgLog = kZeek + "/baselines/scripts.base.protocols.postgresql.psql-create-insert-select/postgresql.cut";

struct Statement {
  std::string sql;
  bool success;
  bool operator==(const Statement&) const = default;
};

void PrintTo(const Statement& s, std::ostream* os) { *os << (s.success ? "ok   " : "FAIL ") << s.sql; }

// Zeek logs the query message as sent; the sensor records each statement without its
// terminating ';' (the SQL splitter's statement boundary), so compare without it.
std::string WithoutTerminator(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n')) sql.pop_back();
  return sql;
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& f : {kMysqlPcap, kMysqlLog, kPgPcap, kPgLog}) {
      if (!std::filesystem::exists(f)) GTEST_SKIP() << "conformance corpus absent (" << f << "); skipping end-to-end test";
    }
    collector_log_ = dir_.path() + "/collector.log";
    collector_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{DBAUDIT_COLLECTOR_BIN, "--data-dir", dir_.path() + "/data", "--grpc-listen",
                                 "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
        dir_.path() + "/collector.out", collector_log_);
    ASSERT_GT(collector_->pid(), 0);
    const std::regex http("http listening on 127\\.0\\.0\\.1:(\\d+)"), grpc("grpc listening on 127\\.0\\.0\\.1:(\\d+)"),
        key("API key: (\\S+)");
    for (int i = 0; i < 500 && http_port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      const std::string log = ReadWholeFile(collector_log_);
      std::smatch m;
      if (!std::regex_search(log, m, http)) continue;
      http_port_ = std::stoi(m[1]);
      if (std::regex_search(log, m, grpc)) grpc_port_ = std::stoi(m[1]);
      if (std::regex_search(log, m, key)) key_ = m[1];
    }
    ASSERT_GT(http_port_, 0) << "collector did not start:\n" << ReadWholeFile(collector_log_);
    ASSERT_GT(grpc_port_, 0);
    ASSERT_FALSE(key_.empty()) << ReadWholeFile(collector_log_);
  }

  void TearDown() override {
    if (!collector_) return;
    collector_->Signal(SIGTERM);
    EXPECT_EQ(collector_->Wait(std::chrono::seconds(20)), 0) << "collector did not stop cleanly:\n"
                                                            << ReadWholeFile(collector_log_);
  }

  // Runs dbaudit-sensor on `pcap`, shipping to the collector; returns its exit code.
  int RunSensor(const std::string& pcap, const std::string& sensor_id) {
    const std::string err = dir_.path() + "/sensor-" + sensor_id + ".log";
    ChildProcess sensor({DBAUDIT_SENSOR_BIN, "--read", pcap, "--collector", "127.0.0.1:" + std::to_string(grpc_port_),
                         "--sensor-id", sensor_id},
                        dir_.path() + "/sensor.out", err);
    const int rc = sensor.Wait(std::chrono::seconds(120));
    if (rc != 0) ADD_FAILURE() << "dbaudit-sensor exited " << rc << ":\n" << ReadWholeFile(err);
    return rc;
  }

  rapidjson::Document GetJson(const std::string& target) {
    HttpResult r = HttpCall(http_port_, "GET", target, {{"Authorization", "Bearer " + key_}});
    EXPECT_EQ(r.status, 200) << target << "\n" << r.body;
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    return d;
  }

  // database.query events from `source_ip`, oldest first, text-query commands only: MySQL
  // COM_QUERY ("query") and PostgreSQL simple Query ("simple_query"), which are Zeek's
  // "query" / "simple_query" rows; init_db, field_list and the extended protocol are others.
  std::vector<Statement> QueryEvents(const std::string& source_ip) {
    rapidjson::Document d = GetJson("/v1/events?type=database.query&limit=1000&source_ip=" + source_ip);
    std::vector<Statement> out;
    if (!d.IsObject() || !d["events"].IsArray()) return out;
    for (const auto& e : d["events"].GetArray()) {
      const auto& details = e["details"];
      const std::string command = details.HasMember("command") ? details["command"].GetString() : "query";
      if (command != "query" && command != "simple_query") continue;
      out.push_back({details["query"].GetString(), std::string(details["sql_response"].GetString()) == "SUCCESS"});
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  // audit/sqls rows of the database at `db_ip`, oldest first.
  rapidjson::Document AuditRows(const std::string& db_ip) {
    const std::string body = R"({"time":{"start_time":"1970-01-01 00:00:00","end_time":"2100-01-01 00:00:00"},)"
                             R"("db_ip":")" + db_ip + R"(","size":10000,"time_order":"ASC"})";
    HttpResult r = HttpCall(http_port_, "POST", "/v1/0123456789abcdef0123456789abcdef/dbaudit-e2e/audit/sqls",
                            {{"X-Auth-Token", key_}}, body);
    EXPECT_EQ(r.status, 200) << r.body;
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    return d;
  }

  // Zeek's statements must appear in the audit rows in the same order (rows of other commands
  // may sit between them) with the same outcome.
  void ExpectAuditRowsContain(const std::string& db_ip, const std::vector<Statement>& zeek) {
    rapidjson::Document d = AuditRows(db_ip);
    ASSERT_TRUE(d.IsObject() && d["sqls"].IsArray());
    EXPECT_EQ(d["total"].GetUint64(), d["count"].GetUint64());
    size_t next = 0;
    for (const auto& row : d["sqls"].GetArray()) {
      const auto& sql = row["sql"];
      if (next < zeek.size() && sql["sql_statement"].GetString() == zeek[next].sql) {
        EXPECT_EQ(std::string(sql["sql_response"].GetString()), zeek[next].success ? "SUCCESS" : "FAILED") << zeek[next].sql;
        EXPECT_EQ(std::string(sql["db_ip"].GetString()), db_ip);
        ++next;
      }
    }
    EXPECT_EQ(next, zeek.size()) << "audit/sqls lacks, in order, Zeek's statement: "
                                 << (next < zeek.size() ? zeek[next].sql : "");
  }

  // The login events from `source_ip`: (user, success) oldest first.
  std::vector<std::pair<std::string, bool>> Logins(const std::string& source_ip) {
    rapidjson::Document d = GetJson("/v1/events?type=user.*&source_ip=" + source_ip);
    std::vector<std::pair<std::string, bool>> out;
    if (!d.IsObject() || !d["events"].IsArray()) return out;
    for (const auto& e : d["events"].GetArray()) {
      out.emplace_back(e["details"]["user"].GetString(), std::string(e["type"].GetString()) == "user.login_success");
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  uint64_t TotalEvents() { return GetJson("/v1/events?limit=1")["pagination"]["total"].GetUint64(); }

  collector::testing::TempDir dir_;
  std::unique_ptr<ChildProcess> collector_;
  std::string collector_log_;
  int http_port_ = 0;
  int grpc_port_ = 0;
  std::string key_;
};

TEST_F(EndToEndTest, MysqlCaptureMatchesZeek) {
  const std::vector<ZeekRow> zeek = ReadZeekLog(kMysqlLog);
  ASSERT_FALSE(zeek.empty()) << "cannot parse " << kMysqlLog;
  std::vector<Statement> expected;
  std::vector<std::pair<std::string, bool>> logins;
  for (const ZeekRow& row : zeek) {
    if (row.at("cmd") == "query") expected.push_back({WithoutTerminator(row.at("arg")), row.at("success") == "T"});
    if (row.at("cmd") == "login") logins.emplace_back(row.at("arg"), row.at("success") == "T");
  }
  ASSERT_EQ(expected.size(), 14u);  // the baseline itself: 14 COM_QUERY rows
  const std::string client = zeek[0].at("id.orig_h"), server = zeek[0].at("id.resp_h");

  ASSERT_EQ(RunSensor(kMysqlPcap, "e2e-mysql"), 0);
  EXPECT_EQ(QueryEvents(client), expected);
  EXPECT_EQ(Logins(client), logins);
  ExpectAuditRowsContain(server, expected);
}

TEST_F(EndToEndTest, PostgresCaptureMatchesZeek) {
  const std::vector<ZeekRow> zeek = ReadZeekLog(kPgLog);
  ASSERT_FALSE(zeek.empty()) << "cannot parse " << kPgLog;
  std::vector<Statement> expected;
  std::vector<std::pair<std::string, bool>> logins;
  for (const ZeekRow& row : zeek) {
    if (row.at("frontend") == "simple_query") expected.push_back({WithoutTerminator(row.at("frontend_arg")), row.at("success") == "T"});
    if (row.at("frontend") == "startup") logins.emplace_back(row.at("user"), row.at("backend") == "auth_ok");
  }
  ASSERT_EQ(expected.size(), 7u);
  const std::string client = zeek[0].at("id.orig_h"), server = zeek[0].at("id.resp_h");

  ASSERT_EQ(RunSensor(kPgPcap, "e2e-pg"), 0);
  EXPECT_EQ(QueryEvents(client), expected);
  EXPECT_EQ(Logins(client), logins);
  ExpectAuditRowsContain(server, expected);
}

TEST_F(EndToEndTest, TwoSensorsShareOneCollectorAndAResentCaptureAddsNothing) {
  ASSERT_EQ(RunSensor(kMysqlPcap, "e2e-a"), 0);
  ASSERT_EQ(RunSensor(kPgPcap, "e2e-b"), 0);
  const uint64_t total = TotalEvents();
  EXPECT_GT(total, 21u);  // at least 14 + 7 statements
  // The same sensor replaying the same capture sends the same (time, sensor, seq) records.
  ASSERT_EQ(RunSensor(kMysqlPcap, "e2e-a"), 0);
  EXPECT_EQ(TotalEvents(), total);
}

TEST_F(EndToEndTest, SensorFailsWhenTheCollectorIsGone) {
  collector_->Signal(SIGTERM);
  ASSERT_EQ(collector_->Wait(std::chrono::seconds(20)), 0);
  collector_.reset();
  const std::string err = dir_.path() + "/sensor-gone.log";
  ChildProcess sensor({DBAUDIT_SENSOR_BIN, "--read", kPgPcap, "--collector", "127.0.0.1:" + std::to_string(grpc_port_)},
                      dir_.path() + "/sensor.out", err);
  EXPECT_NE(sensor.Wait(std::chrono::seconds(120)), 0) << "the sensor must not exit 0 when nothing was acknowledged";
  EXPECT_NE(ReadWholeFile(err).find("not acknowledged"), std::string::npos) << ReadWholeFile(err);
}

}  // namespace
}  // namespace dbaudit::e2e
