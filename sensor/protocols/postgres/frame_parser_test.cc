#include "sensor/protocols/postgres/frame_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sensor/protocols/postgres/errors.h"
#include "sensor/protocols/postgres/extended.h"
#include "sensor/protocols/postgres/startup.h"
#include "sensor/protocols/postgres/test_data.h"

namespace dbaudit::sensor::postgres {
namespace {

using testdata::kAuthDone;
using testdata::kError42804;
using testdata::kNoticeDropTable;
using testdata::kSelectTwoRows;

constexpr Direction kC2S = Direction::kClientToServer;
constexpr Direction kS2C = Direction::kServerToClient;

absl::Span<const uint8_t> S(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Parses every tagged frame of `bytes`; fails the test on anything but a clean sequence.
std::vector<uint8_t> Tags(Direction dir, const std::string& bytes) {
  std::vector<uint8_t> tags;
  absl::Span<const uint8_t> rest = S(bytes);
  while (!rest.empty()) {
    Frame f;
    size_t used = 0;
    const ParseState ps = ParseTaggedFrame(dir, rest, 1 << 20, &f, &used);
    EXPECT_EQ(ps, ParseState::kOk) << "at offset " << bytes.size() - rest.size();
    if (ps != ParseState::kOk) break;
    EXPECT_EQ(f.body_remaining, 0u);
    EXPECT_EQ(used, f.wire_size());
    tags.push_back(f.tag);
    rest = rest.subspan(used);
  }
  return tags;
}

TEST(PostgresFrameParserTest, FixturesAreWholeMessageSequences) {
  EXPECT_EQ(Tags(kS2C, kAuthDone), (std::vector<uint8_t>{'R', 'R', 'S', 'S', 'K', 'Z'}));
  EXPECT_EQ(Tags(kS2C, kSelectTwoRows), (std::vector<uint8_t>{'T', 'D', 'D', 'C', 'Z'}));
  EXPECT_EQ(Tags(kS2C, kError42804), (std::vector<uint8_t>{'E', 'Z'}));
  EXPECT_EQ(Tags(kS2C, kNoticeDropTable), (std::vector<uint8_t>{'N', 'C', 'Z'}));
  EXPECT_EQ(Tags(kC2S, testdata::kQuerySelect), (std::vector<uint8_t>{'Q'}));
  EXPECT_EQ(Tags(kC2S, testdata::kSaslInitialResponse), (std::vector<uint8_t>{'p'}));
}

// Every prefix of a message is need-more-data with nothing consumed, except that a body the
// session does not need (DataRow) is handed over early with the rest to skip.
TEST(PostgresFrameParserTest, EverySplitPointNeedsMoreDataAndConsumesNothing) {
  for (const std::string* fixture : {&kAuthDone, &kSelectTwoRows, &kError42804}) {
    Frame first;
    size_t first_len = 0;
    ASSERT_EQ(ParseTaggedFrame(kS2C, S(*fixture), 1 << 20, &first, &first_len), ParseState::kOk);
    for (size_t cut = 0; cut < first_len; ++cut) {
      Frame f;
      size_t used = 12345;
      const ParseState ps =
          ParseTaggedFrame(kS2C, S(*fixture).subspan(0, cut), 1 << 20, &f, &used);
      if (cut >= kHeaderSize && BodyNotNeeded(kS2C, first.tag)) {
        ASSERT_EQ(ps, ParseState::kOk) << cut;
        EXPECT_EQ(used, cut);
        EXPECT_EQ(f.body_remaining, first_len - cut);
      } else {
        ASSERT_EQ(ps, ParseState::kNeedMoreData) << cut;
        EXPECT_EQ(used, 12345u) << "consumed on need-more-data at " << cut;
      }
    }
  }
}

TEST(PostgresFrameParserTest, StartupMessageAndItsParameters) {
  Frame f;
  size_t used = 0;
  ASSERT_EQ(ParseStartupPacket(S(testdata::kStartupNavicat), &f, &used), ParseState::kOk);
  EXPECT_EQ(f.kind, PacketKind::kStartupMessage);
  EXPECT_EQ(used, testdata::kStartupNavicat.size());
  StartupParams p;
  ASSERT_TRUE(ParseStartupParams(f.body, &p));
  EXPECT_EQ(p.user, "test");
  EXPECT_EQ(p.database, "postgres");
  EXPECT_EQ(p.application_name, "Navicat");
  for (size_t cut = 0; cut < testdata::kStartupNavicat.size(); ++cut) {
    EXPECT_EQ(ParseStartupPacket(S(testdata::kStartupNavicat).subspan(0, cut), &f, &used),
              ParseState::kNeedMoreData)
        << cut;
  }
}

TEST(PostgresFrameParserTest, SslRequestAndCancelRequest) {
  Frame f;
  size_t used = 0;
  ASSERT_EQ(ParseStartupPacket(S(testdata::kSslRequest), &f, &used), ParseState::kOk);
  EXPECT_EQ(f.kind, PacketKind::kSslRequest);
  const std::string cancel("\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x03\x6c\xfe\x6c\x9a\xfc", 16);
  ASSERT_EQ(ParseStartupPacket(S(cancel), &f, &used), ParseState::kOk);
  EXPECT_EQ(f.kind, PacketKind::kCancelRequest);
  uint32_t pid = 0;
  ASSERT_TRUE(ParseCancelRequest(f.body, &pid));
  EXPECT_EQ(pid, 876u);
}

// Zeek's bad-startup-message-1.pcap and bad-backend-message-1.pcap: impossible lengths.
TEST(PostgresFrameParserTest, ImpossibleLengthsAreInvalid) {
  Frame f;
  size_t used = 0;
  const std::string bad_startup("\x00\x00\x00\x03\x00\x03\x00\x00user\x00zeek\x00\x00", 16);
  EXPECT_EQ(ParseStartupPacket(S(bad_startup), &f, &used), ParseState::kInvalid);
  const std::string bad_backend("Z\x00\x00\x00\x01\x00\x00", 7);
  EXPECT_EQ(ParseTaggedFrame(kS2C, S(bad_backend), 1 << 20, &f, &used), ParseState::kInvalid);
  const std::string v2_startup("\x00\x00\x00\x10\x00\x02\x00\x00user\x00zz\x00\x00", 16);
  EXPECT_EQ(ParseStartupPacket(S(v2_startup), &f, &used), ParseState::kInvalid);
  EXPECT_EQ(ParseTaggedFrame(kC2S, S(std::string("GET / HTTP/1.1\r\n")), 1 << 20, &f, &used),
            ParseState::kInvalid);
  // ReadyForQuery must be exactly 5; Sync exactly 4.
  EXPECT_EQ(ParseTaggedFrame(kS2C, S(std::string("Z\x00\x00\x00\x06II", 7)), 1 << 20, &f, &used),
            ParseState::kInvalid);
  EXPECT_EQ(ParseTaggedFrame(kC2S, S(std::string("S\x00\x00\x00\x05", 5)), 1 << 20, &f, &used),
            ParseState::kInvalid);
}

TEST(PostgresFrameParserTest, OversizedNeededMessageIsHandedOverTruncated) {
  std::string query("Q\x00\x00\x01\x04", 5);  // 256-byte body, limit 64
  query.append(100, 'x');
  Frame f;
  size_t used = 0;
  ASSERT_EQ(ParseTaggedFrame(kC2S, S(query), 64, &f, &used), ParseState::kOk);
  EXPECT_EQ(used, query.size());
  EXPECT_EQ(f.body.size(), 100u);
  EXPECT_EQ(f.body_remaining, 156u);
}

TEST(PostgresFrameParserTest, FindsBoundaryAfterGarbage) {
  std::string junk = "\x17\xff random bytes";
  const std::string stream = junk + kSelectTwoRows;
  size_t keep = 0;
  auto at = FindFrameBoundary(kS2C, S(stream), &keep);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, junk.size());
  EXPECT_FALSE(FindFrameBoundary(kC2S, S(std::string("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")),
                                 &keep)
                   .has_value());
}

TEST(PostgresFrameParserTest, ErrorFieldsAndMessage) {
  Frame f;
  size_t used = 0;
  ASSERT_EQ(ParseTaggedFrame(kS2C, S(kError42804), 1 << 20, &f, &used), ParseState::kOk);
  ErrorFields e;
  ASSERT_TRUE(ParseErrorFields(f.body, &e));
  EXPECT_EQ(e.severity, "ERROR");
  EXPECT_EQ(e.sqlstate, "42804");
  EXPECT_EQ(e.position, "23");
  EXPECT_EQ(FormatErrorMessage(e),
            "column \"i\" is of type integer but expression is of type timestamp with time zone "
            "HINT: You will need to rewrite or cast the expression. POSITION: 23");
  ErrorFields broken;
  EXPECT_FALSE(ParseErrorFields(f.body.subspan(0, 10), &broken));
}

TEST(PostgresFrameParserTest, CommandTags) {
  struct Case {
    std::string tag;
    std::string command;
    std::optional<uint64_t> rows;
  } cases[] = {{"INSERT 0 5", "INSERT", 5}, {"UPDATE 10", "UPDATE", 10},   {"SELECT 3", "SELECT", 3},
               {"COPY 7", "COPY", 7},       {"CREATE TABLE", "CREATE TABLE", std::nullopt},
               {"MERGE 2", "MERGE", 2},     {"BEGIN", "BEGIN", std::nullopt}};
  for (const Case& c : cases) {
    std::string body = c.tag + std::string(1, '\0');
    CommandTag t;
    ASSERT_TRUE(DecodeCommandComplete(S(body), &t));
    EXPECT_EQ(t.command, c.command) << c.tag;
    EXPECT_EQ(t.rows, c.rows) << c.tag;
  }
}

TEST(PostgresFrameParserTest, RendersBinaryParameters) {
  const std::string int4("\x00\x00\x01\x2c", 4);
  const std::string int8("\xff\xff\xff\xff\xff\xff\xff\xfe", 8);
  const std::string uuid("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x12\x34\x56\x78\x9a\xbc\xde\xf0", 16);
  EXPECT_EQ(RenderValue(23, 1, S(int4), 100), "300");
  EXPECT_EQ(RenderValue(20, 1, S(int8), 100), "-2");
  EXPECT_EQ(RenderValue(16, 1, S(std::string("\x01", 1)), 100), "true");
  EXPECT_EQ(RenderValue(2950, 1, S(uuid), 100), "12345678-9abc-def0-1234-56789abcdef0");
  EXPECT_EQ(RenderValue(25, 1, S(std::string("hello")), 100), "hello");
  EXPECT_EQ(RenderValue(17, 1, S(std::string("\x01\xab", 2)), 100), "\\x01ab");
  EXPECT_EQ(RenderValue(0, 0, S(std::string("abcdef")), 3), "abc...");
  EXPECT_EQ(TypeName(23), "int4");
  EXPECT_EQ(TypeName(0), "unspecified");
  EXPECT_EQ(TypeName(99999), "oid:99999");
}

TEST(PostgresFrameParserTest, ContentDetection) {
  EXPECT_TRUE(LooksLikePostgres(kC2S, S(testdata::kStartupPsql)));
  EXPECT_TRUE(LooksLikePostgres(kC2S, S(testdata::kSslRequest)));
  EXPECT_FALSE(LooksLikePostgres(kS2C, S(testdata::kStartupPsql)));
  EXPECT_FALSE(LooksLikePostgres(kC2S, S(testdata::kStartupPsql).subspan(0, 20)));
  EXPECT_FALSE(LooksLikePostgres(kC2S, S(std::string("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))));
  // A MySQL client handshake response starts with a 3-byte little-endian length.
  const std::string mysql_login("\x55\x00\x00\x01\x85\xa6\xff\x01\x00\x00\x00\x01\x21", 13);
  EXPECT_FALSE(LooksLikePostgres(kC2S, S(mysql_login)));
}

// Random bytes never crash any decoder and never make one read out of bounds (run under ASan).
TEST(PostgresFrameParserTest, RandomBytesNoCrash) {
  std::mt19937 rng(42);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string b(rng() % 64, '\0');
    for (char& c : b) c = static_cast<char>(rng());
    if (iter % 3 == 0 && !b.empty()) b[0] = "QPBEDCSZTRKdDE"[rng() % 14];
    Frame f;
    size_t used = 0;
    for (Direction dir : {kC2S, kS2C}) {
      if (ParseTaggedFrame(dir, S(b), 1 << 20, &f, &used) == ParseState::kOk) {
        EXPECT_LE(used, b.size());
      }
      size_t keep = 0;
      auto at = FindFrameBoundary(dir, S(b), &keep);
      if (at) {
        EXPECT_LT(*at, b.size());
      }
      EXPECT_LE(keep, b.size());
    }
    (void)ParseStartupPacket(S(b), &f, &used);
    ErrorFields e;
    (void)ParseErrorFields(S(b), &e);
    BindMessage bind;
    (void)DecodeBind(S(b), &bind);
    ParseMessage parse;
    (void)DecodeParse(S(b), &parse);
    FunctionCallMessage call;
    (void)DecodeFunctionCall(S(b), &call);
    StartupParams params;
    (void)ParseStartupParams(S(b), &params);
    AuthRequest type;
    std::vector<std::string> mechs;
    (void)ParseAuthRequest(S(b), &type, &mechs);
  }
}

}  // namespace
}  // namespace dbaudit::sensor::postgres
