# PostgreSQL decoder throughput (statements/s and bytes/s on one core) next to a raw walk of the
# same bytes. Replays the PostgreSQL flows of DBAUDIT_BENCH_CAPTURE (bench/make-large-capture.sh;
# its PostgreSQL port is 25432) or, without it, a synthetic stream built from the committed
# pgbench captures (tests/testdata/captures/postgres/pgbench_*). See postgres_decoder_bench.cc.
add_executable(postgres_decoder_bench ${CMAKE_CURRENT_LIST_DIR}/postgres_decoder_bench.cc)
target_link_libraries(postgres_decoder_bench PRIVATE dbaudit_postgres dbaudit_flow dbaudit_capture
  benchmark::benchmark)
target_compile_definitions(postgres_decoder_bench PRIVATE DBAUDIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
