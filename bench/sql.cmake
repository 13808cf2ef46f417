# SQL analysis: statements/s per core on the sysbench + pgbench statement mix
# (tests/testdata/sql/benign_{sysbench,pgbench}.sql), warm (cache hits) and cold (every statement
# a new shape), plus the cost of a libpg_query parse for comparison.
add_executable(sql_bench ${CMAKE_CURRENT_LIST_DIR}/sql_bench.cc)
target_link_libraries(sql_bench PRIVATE dbaudit_sql benchmark::benchmark)
target_compile_definitions(sql_bench PRIVATE DBAUDIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
if(DBAUDIT_HAVE_PG_QUERY)
  target_link_libraries(sql_bench PRIVATE pg_query::pg_query)
  target_compile_definitions(sql_bench PRIVATE DBAUDIT_HAVE_PG_QUERY=1)
endif()
