// Byte fixtures for the PostgreSQL decoder tests, copied from real captures (Zeek's PostgreSQL
// traces, see each comment) and laid out one field per line. Generated from the captures'
// payloads; the total size after each literal keeps the embedded NULs.
#pragma once

#include <string>

namespace dbaudit::sensor::postgres::testdata {

// SSLRequest (psql-login-no-role.pcap).
inline const std::string kSslRequest = std::string(
    "\x00\x00\x00\x08"  // length 8
    "\x04\xd2\x16/"  // code 80877103 = 1234 << 16 | 5679
    , 8);

// Server answer to SSLRequest: one byte.
inline const std::string kSslRefused = std::string(
    "N"  // N: go on in clear
    , 1);

// StartupMessage v3 (psql-login-no-role.pcap).
inline const std::string kStartupNavicat = std::string(
    "\x00\x00\x00>"  // length 62
    "\x00\x03\x00\x00"  // protocol 3.0
    "user\x00"  // name
    "test\x00"  // value
    "database\x00"  // name
    "postgres\x00"  // value
    "application_name\x00"  // name
    "Navicat\x00"  // value
    "\x00"  // end of parameters
    , 62);

// AuthenticationOk then FATAL 28000 (psql-login-no-role.pcap).
inline const std::string kAuthOkThenNoRole = std::string(
    "R"  // tag Authentication
    "\x00\x00\x00\x08"  // length 8
    "\x00\x00\x00\x00"  // AuthenticationOk
    "E"  // tag ErrorResponse
    "\x00\x00\x00`"  // length 96
    "SFATAL\x00"  // severity
    "VFATAL\x00"  // severity (not localized)
    "C28000\x00"  // SQLSTATE
    "Mrole \x22test\x22 does not exist\x00"  // message
    "Fmiscinit.c\x00"  // file
    "L694\x00"  // line
    "RInitializeSessionUserId\x00"  // routine
    "\x00"  // end of fields
    , 106);

// StartupMessage v3 (psql-insert-fail-drop-fail.pcap).
inline const std::string kStartupPsql = std::string(
    "\x00\x00\x00T"  // length 84
    "\x00\x03\x00\x00"  // protocol 3.0
    "user\x00"  // name
    "postgres\x00"  // value
    "database\x00"  // name
    "postgres\x00"  // value
    "application_name\x00"  // name
    "psql\x00"  // value
    "client_encoding\x00"  // name
    "UTF8\x00"  // value
    "\x00"  // end of parameters
    , 84);

// AuthenticationSASL offering SCRAM-SHA-256.
inline const std::string kAuthSasl = std::string(
    "R"  // tag Authentication
    "\x00\x00\x00\x17"  // length 23
    "\x00\x00\x00\x0a"  // AuthenticationSASL
    "SCRAM-SHA-256\x00"  // mechanism
    "\x00"  // end of list
    , 24);

// SASLInitialResponse: mechanism, then the client-first-message.
inline const std::string kSaslInitialResponse = std::string(
    "p"  // tag SASLInitialResponse
    "\x00\x00\x00" "6"  // length 54
    "SCRAM-SHA-256\x00"  // mechanism
    "\x00\x00\x00 "  // data length 32
    "n,,n=,r=TwGbAdrgxcvfe7FNe0iWJfSf"  // client-first-message (nonce)
    , 55);

// AuthenticationSASLContinue: server-first-message.
inline const std::string kAuthSaslContinue = std::string(
    "R"  // tag Authentication
    "\x00\x00\x00\x5c"  // length 92
    "\x00\x00\x00\x0b"  // AuthenticationSASLContinue
    "r=TwGbAdrgxcvfe7FNe0iWJfSf3mBBWw9W0eciRd2Pkg2/HIB1,s=iKUi26lwqA6spIkddhe7hw==,i=4096"  // server-first-message
    , 93);

// SASLResponse: client-final-message with the proof.
inline const std::string kSaslResponse = std::string(
    "p"  // tag SASLResponse
    "\x00\x00\x00l"  // length 108
    "c=biws,r=TwGbAdrgxcvfe7FNe0iWJfSf3mBBWw9W0eciRd2Pkg2/HIB1,p=Y0VuiVVs4GDpPeMPkQcE0ADRvkq3Njc1mpCIrK1m/1Q="  // client-final-message
    , 109);

// SASLFinal, AuthenticationOk, ParameterStatus x2, BackendKeyData, ReadyForQuery (abridged flight).
inline const std::string kAuthDone = std::string(
    "R"  // tag Authentication
    "\x00\x00\x00" "6"  // length 54
    "\x00\x00\x00\x0c"  // AuthenticationSASLFinal
    "v=na9OnyjI3MkvsAm3C8I8BoeiU4I6QL3HPaMCcLTOgfA="  // server-final-message
    "R"  // tag Authentication
    "\x00\x00\x00\x08"  // length 8
    "\x00\x00\x00\x00"  // AuthenticationOk
    "S"  // tag ParameterStatus
    "\x00\x00\x00\x1a"  // length 26
    "application_name\x00"  // name
    "psql\x00"  // value
    "S"  // tag ParameterStatus
    "\x00\x00\x00" "2"  // length 50
    "server_version\x00"  // name
    "16.4 (Debian 16.4-1.pgdg120+1)\x00"  // value
    "K"  // tag BackendKeyData
    "\x00\x00\x00\x0c"  // length 12
    "\x00\x00\x03l"  // backend pid 876
    "\xfel\x9a\xfc"  // secret key
    "Z"  // tag ReadyForQuery
    "\x00\x00\x00\x05"  // length 5
    "I"  // idle
    , 161);

// Query (psql-insert-fail-drop-fail.pcap).
inline const std::string kQueryDropIfExists = std::string(
    "Q"  // tag Query
    "\x00\x00\x00\x1c"  // length 28
    "DROP TABLE IF EXISTS t;\x00"  // query string
    , 29);

// NoticeResponse, CommandComplete, ReadyForQuery.
inline const std::string kNoticeDropTable = std::string(
    "N"  // tag NoticeResponse
    "\x00\x00\x00l"  // length 108
    "SNOTICE\x00"  // severity
    "VNOTICE\x00"  // severity
    "C00000\x00"  // SQLSTATE
    "Mtable \x22t\x22 does not exist, skipping\x00"  // message
    "Ftablecmds.c\x00"  // file
    "L1300\x00"  // line
    "RDropErrorMsgNonExistent\x00"  // routine
    "\x00"  // end
    "C"  // tag CommandComplete
    "\x00\x00\x00\x0f"  // length 15
    "DROP TABLE\x00"  // command tag
    "Z"  // tag ReadyForQuery
    "\x00\x00\x00\x05"  // length 5
    "I"  // idle
    , 131);

// Query whose INSERT fails.
inline const std::string kQueryInsertNow = std::string(
    "Q"  // tag Query
    "\x00\x00\x00" "0"  // length 48
    "INSERT INTO t VALUES (now(), now(), now());\x00"  // query string
    , 49);

// ErrorResponse 42804 with hint and position, then ReadyForQuery.
inline const std::string kError42804 = std::string(
    "E"  // tag ErrorResponse
    "\x00\x00\x00\xce"  // length 206
    "SERROR\x00"  // severity
    "VERROR\x00"  // severity
    "C42804\x00"  // SQLSTATE
    "Mcolumn \x22i\x22 is of type integer but expression is of type timestamp with time zone\x00"  // message
    "HYou will need to rewrite or cast the expression.\x00"  // hint
    "P23\x00"  // position
    "Fparse_target.c\x00"  // file
    "L586\x00"  // line
    "RtransformAssignedExpr\x00"  // routine
    "\x00"  // end
    "Z"  // tag ReadyForQuery
    "\x00\x00\x00\x05"  // length 5
    "I"  // idle
    , 213);

// Query (psql-create-insert-select-delete-drop.pcap).
inline const std::string kQuerySelect = std::string(
    "Q"  // tag Query
    "\x00\x00\x00\x15"  // length 21
    "SELECT * from t;\x00"  // query string
    , 22);

// RowDescription, DataRow x2, CommandComplete SELECT 2, ReadyForQuery.
inline const std::string kSelectTwoRows = std::string(
    "T"  // tag RowDescription
    "\x00\x00\x00" "B"  // length 66
    "\x00\x03"  // 3 columns
    "i\x00\x00\x00@G\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00"  // i: table oid 16455, attnum 1, int4, len 4, typmod -1, text
    "s\x00\x00\x00@G\x00\x02\x00\x00\x04\x13\xff\xff\xff\xff\xff\xff\x00\x00"  // s: varchar, len -1
    "t\x00\x00\x00@G\x00\x03\x00\x00\x04;\x00\x08\xff\xff\xff\xff\x00\x00"  // t: time, len 8
    "D"  // tag DataRow
    "\x00\x00\x00+"  // length 43
    "\x00\x03"  // 3 values
    "\x00\x00\x00\x02" "42"  // i
    "\x00\x00\x00\x09" "forty-two"  // s
    "\x00\x00\x00\x0e" "12:54:26.80719"  // t
    "D"  // tag DataRow
    "\x00\x00\x00-"  // length 45
    "\x00\x03"  // 3 values
    "\x00\x00\x00\x02" "86"  // i
    "\x00\x00\x00\x0a" "eighty-six"  // s
    "\x00\x00\x00\x0f" "12:54:26.808326"  // t
    "C"  // tag CommandComplete
    "\x00\x00\x00\x0d"  // length 13
    "SELECT 2\x00"  // command tag
    "Z"  // tag ReadyForQuery
    "\x00\x00\x00\x05"  // length 5
    "I"  // idle
    , 177);

// Terminate.
inline const std::string kTerminate = std::string(
    "X"  // tag Terminate
    "\x00\x00\x00\x04"  // length 4
    , 5);

}  // namespace dbaudit::sensor::postgres::testdata
