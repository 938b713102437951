CMakeFiles/sb.dir/src/store/sqlite/sqlite_migrations.c.o: \
 /work/main/src/store/sqlite/sqlite_migrations.c \
 /usr/include/stdc-predef.h /work/main/src/store/migrations.h
