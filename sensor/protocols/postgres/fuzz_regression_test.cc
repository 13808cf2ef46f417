// Replays every committed fuzzer finding (tests/testdata/captures/postgres/fuzz_regressions/)
// through the session fuzzer's entry point, so a fixed crash stays fixed in the normal test run
// (and is caught again under the asan preset).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

TEST(PostgresFuzzRegressionTest, CommittedInputsRunCleanly) {
  const std::filesystem::path dir =
      DBAUDIT_SOURCE_DIR "/tests/testdata/captures/postgres/fuzz_regressions";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0)
        << entry.path();
    ++n;
  }
  EXPECT_GT(n, 0);
}

}  // namespace
