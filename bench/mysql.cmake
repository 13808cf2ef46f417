# MySQL decoder throughput (statements/s on one core) next to a raw walk of the same bytes.
# Replays the MySQL flows of DBAUDIT_BENCH_CAPTURE (see bench/make-large-capture.sh) or, without
# it, a synthetic connection built from captured MariaDB bytes. See mysql_decoder_bench.cc.
add_executable(mysql_decoder_bench ${CMAKE_CURRENT_LIST_DIR}/mysql_decoder_bench.cc)
target_link_libraries(mysql_decoder_bench PRIVATE dbaudit_mysql dbaudit_flow dbaudit_capture
  benchmark::benchmark)
