// Binary protocol values (COM_STMT_EXECUTE parameters, query attributes) rendered as text.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
// (section "Binary Protocol Value")
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "sensor/protocols/common/binary_reader.h"
#include "sensor/record/record.h"

namespace dbaudit::sensor::mysql {

// Values longer than this are cut in records, with the full length noted.
inline constexpr size_t kMaxRenderedValueBytes = 1024;

struct ParamType {
  uint8_t type = 0;
  bool is_unsigned = false;
};

// Reads one value of `type` from `r` and renders it as text: integers and floats in decimal,
// temporal types as 'YYYY-MM-DD hh:mm:ss[.ffffff]' / '[-]hhh:mm:ss[.ffffff]', strings as text when
// printable, else as 0x-hex. False (nothing consumed) when the bytes are short or malformed.
bool ReadBinaryValue(protocols::BinaryReader* r, ParamType type, std::string* out);

// Text form of a string/blob value: itself when printable UTF-8-ish, else 0x-hex; cut at
// kMaxRenderedValueBytes with the total length noted.
std::string RenderBytes(std::string_view bytes);

// The parameter block shared by COM_STMT_EXECUTE and query attributes:
//   string<(n+7)/8> null bitmap | int<1> new_params_bound_flag |
//   [n x (int<1> type | int<1> flags [| string<lenenc> name (named)])] | values
// Parameters marked in `long_data` take their value from COM_STMT_SEND_LONG_DATA and have no
// bytes here. `types` holds the types to use when the block does not rebind them; it is replaced
// by the bound types when it does.
struct ParamBlock {
  size_t count = 0;
  bool named = false;                      // query attributes carry a name per parameter
  const std::vector<bool>* long_data = nullptr;
  std::vector<ParamType>* types = nullptr;  // in: remembered types, out: types in effect
};
bool ReadParamBlock(protocols::BinaryReader* r, const ParamBlock& block,
                    std::vector<BoundParam>* params, std::vector<std::string_view>* names);

}  // namespace dbaudit::sensor::mysql
