# Capture front half: a raw pcap_next_ex read of a capture vs the sensor's engine with TCP
# reassembly only (null stream handlers). bench/capture_compare.sh runs both as separate
# processes and reports the time ratio and each one's peak RSS.
add_executable(capture_bench ${CMAKE_CURRENT_LIST_DIR}/capture_bench.cc)
target_link_libraries(capture_bench PRIVATE dbaudit_flow dbaudit_capture benchmark::benchmark
  PkgConfig::PCAP)
target_compile_definitions(capture_bench PRIVATE
  DBAUDIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
