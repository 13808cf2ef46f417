# Every third-party dependency is a Debian 12 package (packaging/install-deps.sh); nothing is vendored.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
find_package(absl CONFIG REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(Threads REQUIRED)

find_path(PG_QUERY_INCLUDE_DIR pg_query.h)
find_library(PG_QUERY_LIBRARY pg_query)
if(PG_QUERY_INCLUDE_DIR AND PG_QUERY_LIBRARY)
  add_library(pg_query::pg_query UNKNOWN IMPORTED)
  set_target_properties(pg_query::pg_query PROPERTIES
    IMPORTED_LOCATION ${PG_QUERY_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${PG_QUERY_INCLUDE_DIR})
  set(DBAUDIT_HAVE_PG_QUERY ON)
endif()

if(DBAUDIT_BUILD_COLLECTOR)
  find_package(Protobuf REQUIRED)
  find_package(gRPC CONFIG REQUIRED)
  find_package(RocksDB CONFIG REQUIRED)
  find_package(Boost 1.74 REQUIRED)
  find_package(RapidJSON CONFIG REQUIRED)
endif()

if(DBAUDIT_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(DBAUDIT_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
