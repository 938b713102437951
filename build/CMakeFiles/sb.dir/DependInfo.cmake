
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/api/conversations.c" "CMakeFiles/sb.dir/src/api/conversations.c.o" "gcc" "CMakeFiles/sb.dir/src/api/conversations.c.o.d"
  "/work/main/src/api/directory.c" "CMakeFiles/sb.dir/src/api/directory.c.o" "gcc" "CMakeFiles/sb.dir/src/api/directory.c.o.d"
  "/work/main/src/api/misc.c" "CMakeFiles/sb.dir/src/api/misc.c.o" "gcc" "CMakeFiles/sb.dir/src/api/misc.c.o.d"
  "/work/main/src/api/routes.c" "CMakeFiles/sb.dir/src/api/routes.c.o" "gcc" "CMakeFiles/sb.dir/src/api/routes.c.o.d"
  "/work/main/src/api/session.c" "CMakeFiles/sb.dir/src/api/session.c.o" "gcc" "CMakeFiles/sb.dir/src/api/session.c.o.d"
  "/work/main/src/api/validate.c" "CMakeFiles/sb.dir/src/api/validate.c.o" "gcc" "CMakeFiles/sb.dir/src/api/validate.c.o.d"
  "/work/main/src/cli/admin.c" "CMakeFiles/sb.dir/src/cli/admin.c.o" "gcc" "CMakeFiles/sb.dir/src/cli/admin.c.o.d"
  "/work/main/src/cli/options.c" "CMakeFiles/sb.dir/src/cli/options.c.o" "gcc" "CMakeFiles/sb.dir/src/cli/options.c.o.d"
  "/work/main/src/cli/seed.c" "CMakeFiles/sb.dir/src/cli/seed.c.o" "gcc" "CMakeFiles/sb.dir/src/cli/seed.c.o.d"
  "/work/main/src/cli/serve.c" "CMakeFiles/sb.dir/src/cli/serve.c.o" "gcc" "CMakeFiles/sb.dir/src/cli/serve.c.o.d"
  "/work/main/src/core/conversation.c" "CMakeFiles/sb.dir/src/core/conversation.c.o" "gcc" "CMakeFiles/sb.dir/src/core/conversation.c.o.d"
  "/work/main/src/core/error.c" "CMakeFiles/sb.dir/src/core/error.c.o" "gcc" "CMakeFiles/sb.dir/src/core/error.c.o.d"
  "/work/main/src/http/auth.c" "CMakeFiles/sb.dir/src/http/auth.c.o" "gcc" "CMakeFiles/sb.dir/src/http/auth.c.o.d"
  "/work/main/src/http/metrics.c" "CMakeFiles/sb.dir/src/http/metrics.c.o" "gcc" "CMakeFiles/sb.dir/src/http/metrics.c.o.d"
  "/work/main/src/http/server.c" "CMakeFiles/sb.dir/src/http/server.c.o" "gcc" "CMakeFiles/sb.dir/src/http/server.c.o.d"
  "/work/main/src/realtime/hub.c" "CMakeFiles/sb.dir/src/realtime/hub.c.o" "gcc" "CMakeFiles/sb.dir/src/realtime/hub.c.o.d"
  "/work/main/src/service/service.c" "CMakeFiles/sb.dir/src/service/service.c.o" "gcc" "CMakeFiles/sb.dir/src/service/service.c.o.d"
  "/work/main/src/store/sqlite/sqlite_driver.c" "CMakeFiles/sb.dir/src/store/sqlite/sqlite_driver.c.o" "gcc" "CMakeFiles/sb.dir/src/store/sqlite/sqlite_driver.c.o.d"
  "/work/main/src/store/sqlite/sqlite_migrations.c" "CMakeFiles/sb.dir/src/store/sqlite/sqlite_migrations.c.o" "gcc" "CMakeFiles/sb.dir/src/store/sqlite/sqlite_migrations.c.o.d"
  "/work/main/src/store/store.c" "CMakeFiles/sb.dir/src/store/store.c.o" "gcc" "CMakeFiles/sb.dir/src/store/store.c.o.d"
  "/work/main/src/store/store_conversations.c" "CMakeFiles/sb.dir/src/store/store_conversations.c.o" "gcc" "CMakeFiles/sb.dir/src/store/store_conversations.c.o.d"
  "/work/main/src/store/store_people.c" "CMakeFiles/sb.dir/src/store/store_people.c.o" "gcc" "CMakeFiles/sb.dir/src/store/store_people.c.o.d"
  "/work/main/src/util/buf.c" "CMakeFiles/sb.dir/src/util/buf.c.o" "gcc" "CMakeFiles/sb.dir/src/util/buf.c.o.d"
  "/work/main/src/util/log.c" "CMakeFiles/sb.dir/src/util/log.c.o" "gcc" "CMakeFiles/sb.dir/src/util/log.c.o.d"
  "/work/main/src/util/time.c" "CMakeFiles/sb.dir/src/util/time.c.o" "gcc" "CMakeFiles/sb.dir/src/util/time.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
