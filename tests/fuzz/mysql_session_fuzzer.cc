// libFuzzer target: a whole MySQL session (input format: session_fuzz.h), with small caps so
// that the limits themselves get exercised.
#include "sensor/protocols/mysql/session.h"
#include "tests/fuzz/session_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dbaudit::sensor::mysql::SessionOptions options;
  options.max_buffer_bytes = 1 << 20;
  options.max_sql_bytes = 4096;
  options.max_server_packet_bytes = 512;
  return dbaudit::fuzz::FuzzSession<dbaudit::sensor::mysql::Session>(data, size, options);
}
