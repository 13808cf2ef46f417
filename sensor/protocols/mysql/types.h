// MySQL / MariaDB client/server protocol: constants named as in the specs, with their byte values,
// and the frame types the frame parser hands to the session.
//   https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
//   https://mariadb.com/kb/en/clientserver-protocol/
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/types/span.h"

namespace dbaudit::sensor::mysql {

// ---- Packet framing -------------------------------------------------------------------------
// Every packet: int<3> payload_length, int<1> sequence_id, string<payload_length> payload.
inline constexpr size_t kPacketHeaderBytes = 4;
// A payload of exactly 0xFFFFFF bytes continues in the next packet.
inline constexpr uint32_t kMaxPacketPayload = 0xFFFFFF;
// Compressed protocol frame: int<3> compressed_length, int<1> compressed_sequence_id,
// int<3> uncompressed_length (0: payload stored uncompressed), payload.
inline constexpr size_t kCompressedHeaderBytes = 7;

// ---- Commands (first payload byte of a request, sequence_id 0) ------------------------------
enum Command : uint8_t {
  kComSleep = 0x00,
  kComQuit = 0x01,
  kComInitDb = 0x02,
  kComQuery = 0x03,
  kComFieldList = 0x04,
  kComCreateDb = 0x05,
  kComDropDb = 0x06,
  kComRefresh = 0x07,
  kComShutdown = 0x08,
  kComStatistics = 0x09,
  kComProcessInfo = 0x0a,
  kComConnect = 0x0b,
  kComProcessKill = 0x0c,
  kComDebug = 0x0d,
  kComPing = 0x0e,
  kComTime = 0x0f,
  kComDelayedInsert = 0x10,
  kComChangeUser = 0x11,
  kComBinlogDump = 0x12,
  kComTableDump = 0x13,
  kComConnectOut = 0x14,
  kComRegisterSlave = 0x15,
  kComStmtPrepare = 0x16,
  kComStmtExecute = 0x17,
  kComStmtSendLongData = 0x18,
  kComStmtClose = 0x19,
  kComStmtReset = 0x1a,
  kComSetOption = 0x1b,
  kComStmtFetch = 0x1c,
  kComDaemon = 0x1d,
  kComBinlogDumpGtid = 0x1e,
  kComResetConnection = 0x1f,
  kComEnd = 0x20,                // one past the last MySQL command
  kComStmtBulkExecute = 0xfa,    // MariaDB
};

// ---- Capability flags (HandshakeV10 / HandshakeResponse41) ----------------------------------
inline constexpr uint64_t kClientLongPassword = 1ULL << 0;  // MariaDB: "CLIENT_MYSQL"
inline constexpr uint64_t kClientConnectWithDb = 1ULL << 3;
inline constexpr uint64_t kClientCompress = 1ULL << 5;
inline constexpr uint64_t kClientLocalFiles = 1ULL << 7;
inline constexpr uint64_t kClientProtocol41 = 1ULL << 9;
inline constexpr uint64_t kClientSsl = 1ULL << 11;
inline constexpr uint64_t kClientSecureConnection = 1ULL << 15;
inline constexpr uint64_t kClientMultiStatements = 1ULL << 16;
inline constexpr uint64_t kClientMultiResults = 1ULL << 17;
inline constexpr uint64_t kClientPluginAuth = 1ULL << 19;
inline constexpr uint64_t kClientConnectAttrs = 1ULL << 20;
inline constexpr uint64_t kClientPluginAuthLenencClientData = 1ULL << 21;
inline constexpr uint64_t kClientSessionTrack = 1ULL << 23;
inline constexpr uint64_t kClientDeprecateEof = 1ULL << 24;
inline constexpr uint64_t kClientOptionalResultsetMetadata = 1ULL << 25;
inline constexpr uint64_t kClientZstdCompressionAlgorithm = 1ULL << 26;
inline constexpr uint64_t kClientQueryAttributes = 1ULL << 27;
// MariaDB extended capabilities, sent in the 4 filler bytes when kClientLongPassword is clear.
inline constexpr uint64_t kMariaDbClientProgress = 1ULL << 32;
inline constexpr uint64_t kMariaDbClientStmtBulkOperations = 1ULL << 34;
inline constexpr uint64_t kMariaDbClientCacheMetadata = 1ULL << 36;

// ---- Server status flags (OK / EOF) ---------------------------------------------------------
inline constexpr uint16_t kServerStatusInTrans = 0x0001;
inline constexpr uint16_t kServerMoreResultsExists = 0x0008;
inline constexpr uint16_t kServerStatusCursorExists = 0x0040;
inline constexpr uint16_t kServerStatusLastRowSent = 0x0080;
inline constexpr uint16_t kServerSessionStateChanged = 0x4000;

// Session state tracker types (OK packet, CLIENT_SESSION_TRACK).
inline constexpr uint8_t kSessionTrackSchema = 0x01;

// ---- Response packet markers (first payload byte) -------------------------------------------
inline constexpr uint8_t kOkMarker = 0x00;
inline constexpr uint8_t kAuthMoreDataMarker = 0x01;  // AuthMoreData (caching_sha2, sha256)
inline constexpr uint8_t kLocalInfileMarker = 0xfb;  // LOCAL INFILE request
inline constexpr uint8_t kEofMarker = 0xfe;           // EOF, OK-as-EOF, AuthSwitchRequest
inline constexpr uint8_t kErrMarker = 0xff;
// caching_sha2_password AuthMoreData status bytes.
inline constexpr uint8_t kCachingSha2FastAuthSuccess = 0x03;
inline constexpr uint8_t kCachingSha2PerformFullAuth = 0x04;
// MariaDB progress report: an ERR packet with this error code, not the end of a response.
inline constexpr uint16_t kProgressReportErrorCode = 0xffff;

// ---- COM_STMT_EXECUTE -----------------------------------------------------------------------
inline constexpr uint8_t kCursorTypeReadOnly = 0x01;
inline constexpr uint8_t kParameterCountAvailable = 0x08;
inline constexpr uint8_t kParamFlagUnsigned = 0x80;

// Column / parameter types (enum_field_types).
enum FieldType : uint8_t {
  kTypeDecimal = 0x00,
  kTypeTiny = 0x01,
  kTypeShort = 0x02,
  kTypeLong = 0x03,
  kTypeFloat = 0x04,
  kTypeDouble = 0x05,
  kTypeNull = 0x06,
  kTypeTimestamp = 0x07,
  kTypeLongLong = 0x08,
  kTypeInt24 = 0x09,
  kTypeDate = 0x0a,
  kTypeTime = 0x0b,
  kTypeDateTime = 0x0c,
  kTypeYear = 0x0d,
  kTypeNewDate = 0x0e,
  kTypeVarchar = 0x0f,
  kTypeBit = 0x10,
  kTypeTimestamp2 = 0x11,
  kTypeDateTime2 = 0x12,
  kTypeTime2 = 0x13,
  kTypeJson = 0xf5,
  kTypeNewDecimal = 0xf6,
  kTypeEnum = 0xf7,
  kTypeSet = 0xf8,
  kTypeTinyBlob = 0xf9,
  kTypeMediumBlob = 0xfa,
  kTypeLongBlob = 0xfb,
  kTypeBlob = 0xfc,
  kTypeVarString = 0xfd,
  kTypeString = 0xfe,
  kTypeGeometry = 0xff,
};

// Compression of the whole stream after authentication.
enum class Compression : uint8_t { kNone, kZlib, kZstd };

// One protocol packet. `payload` is a view valid only during the callback that receives it; it
// holds the whole payload unless `truncated`, in which case it is a prefix of `length` bytes (the
// rest was skipped without buffering).
struct Packet {
  uint8_t seq = 0;
  uint32_t length = 0;
  absl::Span<const uint8_t> payload;
  bool truncated = false;
  size_t wire_bytes() const { return kPacketHeaderBytes + length; }
};

// Zeek's name for a command ("query", "init_db", ...; "execute"/"prepare" for the statement
// commands, as the record contract names them); "unknown" for bytes that are no command.
const char* CommandName(uint8_t command);
// Name of a field type as the protocol spells it without the MYSQL_TYPE_ prefix ("LONGLONG").
const char* FieldTypeName(uint8_t type);

}  // namespace dbaudit::sensor::mysql
