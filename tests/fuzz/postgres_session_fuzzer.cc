// libFuzzer target: a whole PostgreSQL session (input format: session_fuzz.h; seeds from
// tests/testdata/captures/postgres/make_fuzz_seeds.py), with small caps so that the limits
// themselves get exercised.
#include "sensor/protocols/postgres/session.h"
#include "tests/fuzz/session_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dbaudit::sensor::postgres::SessionOptions options;
  options.max_buffer_bytes = 1 << 16;
  options.max_param_value_bytes = 64;
  options.max_prepared = 8;
  options.max_pending = 64;
  return dbaudit::fuzz::FuzzSession<dbaudit::sensor::postgres::Session>(data, size, options);
}
