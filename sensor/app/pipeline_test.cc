// The whole sensor pipeline over real third-party captures.
#include "sensor/app/pipeline.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <set>

namespace dbaudit::sensor {
namespace {

std::string Corpus(const std::string& rel) { return std::string(DBAUDIT_SHARED_DIR) + "/corpus/zeek/traces/" + rel; }

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

#define REQUIRE_CORPUS(path) \
  if (!Exists(path)) GTEST_SKIP() << "third-party corpus not found at " << (path)

PipelineOptions OneWorker() {
  PipelineOptions o;
  o.workers = 1;
  return o;
}

std::vector<const Record*> OfKind(const std::vector<Record>& records, RecordKind kind) {
  std::vector<const Record*> out;
  for (const Record& r : records) {
    if (r.kind == kind) out.push_back(&r);
  }
  return out;
}

TEST(PipelineTest, MissingFileIsAClearError) {
  auto r = ReadCaptureRecords("/nonexistent/capture.pcap", OneWorker());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/capture.pcap"), absl::string_view::npos) << r.status();
}

TEST(PipelineTest, CorruptFileIsAClearError) {
  const std::string path = ::testing::TempDir() + "/not-a-capture.pcap";
  std::ofstream(path) << "this is not a capture file at all, just some text";
  auto r = ReadCaptureRecords(path, OneWorker());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), absl::string_view::npos) << r.status();
  std::remove(path.c_str());
}

TEST(PipelineTest, MysqlSessionFromPcap) {
  const std::string path = Corpus("mysql/mysql.pcap");
  REQUIRE_CORPUS(path);
  auto records = ReadCaptureRecords(path, OneWorker());
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_FALSE(records->empty());
  EXPECT_EQ(records->front().kind, RecordKind::kConnect);
  EXPECT_EQ(records->back().kind, RecordKind::kDisconnect);
  auto logins = OfKind(*records, RecordKind::kLogin);
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_TRUE(logins[0]->success);
  auto statements = OfKind(*records, RecordKind::kStatement);
  ASSERT_FALSE(statements.empty());
  for (size_t i = 0; i < records->size(); ++i) EXPECT_EQ((*records)[i].seq, i + 1);
  for (const Record* s : statements) {
    EXPECT_EQ(s->session.protocol, Protocol::kMysql);
    EXPECT_EQ(s->session.server_port, 3306);
    EXPECT_EQ(s->session.session_id, records->front().session.session_id);
  }
}

TEST(PipelineTest, PcapngAndPostgresFromPcap) {
  const std::string path = Corpus("postgresql/psql-create-insert-select-delete-drop.pcap");
  REQUIRE_CORPUS(path);
  auto records = ReadCaptureRecords(path, OneWorker());
  ASSERT_TRUE(records.ok()) << records.status();
  auto statements = OfKind(*records, RecordKind::kStatement);
  ASSERT_GE(statements.size(), 5u);
  for (const Record* s : statements) {
    EXPECT_EQ(s->session.protocol, Protocol::kPostgresql);
    EXPECT_FALSE(s->query_type.empty()) << s->sql_statement;
  }
}

TEST(PipelineTest, NonDatabaseTrafficOnTheDatabasePortYieldsNothing) {
  for (const char* rel : {"postgresql/http-on-port-5432.pcap", "postgresql/mysql-on-port-5432.pcap"}) {
    const std::string path = Corpus(rel);
    REQUIRE_CORPUS(path);
    PipelineOptions o = OneWorker();
    o.detect_by_content = false;  // only the configured ports: 5432 is PostgreSQL
    o.mysql_ports = {};
    auto records = ReadCaptureRecords(path, o);
    ASSERT_TRUE(records.ok()) << records.status();
    EXPECT_TRUE(records->empty()) << rel << ": " << records->size() << " records, first kind "
                                  << RecordKindName(records->front().kind);
  }
}

TEST(PipelineTest, ContentDetectionFindsMysqlOnThePostgresPort) {
  const std::string path = Corpus("postgresql/mysql-on-port-5432.pcap");
  REQUIRE_CORPUS(path);
  auto records = ReadCaptureRecords(path, OneWorker());
  ASSERT_TRUE(records.ok()) << records.status();
  auto logins = OfKind(*records, RecordKind::kLogin);
  ASSERT_FALSE(logins.empty());
  for (const Record* l : logins) EXPECT_EQ(l->session.protocol, Protocol::kMysql);
}

TEST(PipelineTest, WorkersGiveTheSameRecordsAsOneThread) {
  const std::string path = Corpus("postgresql/greenhouse-app.pcap");
  REQUIRE_CORPUS(path);
  auto one = ReadCaptureRecords(path, OneWorker());
  PipelineOptions many = OneWorker();
  many.workers = 3;
  auto three = ReadCaptureRecords(path, many);
  ASSERT_TRUE(one.ok() && three.ok());
  ASSERT_EQ(one->size(), three->size());
  auto key = [](const std::vector<Record>& v) {
    std::multiset<std::string> out;
    for (const Record& r : v) out.insert(std::to_string(r.session.client_port) + "|" + RecordKindName(r.kind) + "|" + r.sql_statement);
    return out;
  };
  EXPECT_EQ(key(*one), key(*three));
}

}  // namespace
}  // namespace dbaudit::sensor
