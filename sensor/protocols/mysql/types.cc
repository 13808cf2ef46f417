#include "sensor/protocols/mysql/types.h"

namespace dbaudit::sensor::mysql {

// Names follow Zeek's mysql.log `cmd` column (base/protocols/mysql/consts.zeek), except the
// prepared-statement commands, named as the record contract does ("prepare", "execute").
const char* CommandName(uint8_t command) {
  static constexpr const char* kNames[kComEnd] = {
      "sleep",         "quit",           "init_db",       "query",         "field_list",
      "create_db",     "drop_db",        "refresh",       "shutdown",      "statistics",
      "process_info",  "connect",        "process_kill",  "debug",         "ping",
      "time",          "delayed_insert", "change_user",   "binlog_dump",   "table_dump",
      "connect_out",   "register_slave", "prepare",       "execute",       "stmt_send_long_data",
      "stmt_close",    "stmt_reset",     "set_option",    "stmt_fetch",    "daemon",
      "binlog_dump_gtid", "reset_connection"};
  if (command < kComEnd) return kNames[command];
  if (command == kComStmtBulkExecute) return "stmt_bulk_execute";
  return "unknown";
}

const char* FieldTypeName(uint8_t type) {
  switch (type) {
    case kTypeDecimal: return "DECIMAL";
    case kTypeTiny: return "TINY";
    case kTypeShort: return "SHORT";
    case kTypeLong: return "LONG";
    case kTypeFloat: return "FLOAT";
    case kTypeDouble: return "DOUBLE";
    case kTypeNull: return "NULL";
    case kTypeTimestamp: return "TIMESTAMP";
    case kTypeLongLong: return "LONGLONG";
    case kTypeInt24: return "INT24";
    case kTypeDate: return "DATE";
    case kTypeTime: return "TIME";
    case kTypeDateTime: return "DATETIME";
    case kTypeYear: return "YEAR";
    case kTypeNewDate: return "NEWDATE";
    case kTypeVarchar: return "VARCHAR";
    case kTypeBit: return "BIT";
    case kTypeTimestamp2: return "TIMESTAMP2";
    case kTypeDateTime2: return "DATETIME2";
    case kTypeTime2: return "TIME2";
    case kTypeJson: return "JSON";
    case kTypeNewDecimal: return "NEWDECIMAL";
    case kTypeEnum: return "ENUM";
    case kTypeSet: return "SET";
    case kTypeTinyBlob: return "TINY_BLOB";
    case kTypeMediumBlob: return "MEDIUM_BLOB";
    case kTypeLongBlob: return "LONG_BLOB";
    case kTypeBlob: return "BLOB";
    case kTypeVarString: return "VAR_STRING";
    case kTypeString: return "STRING";
    case kTypeGeometry: return "GEOMETRY";
    default: return "UNKNOWN";
  }
}

}  // namespace dbaudit::sensor::mysql
