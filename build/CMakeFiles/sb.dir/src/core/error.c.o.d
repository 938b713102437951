CMakeFiles/sb.dir/src/core/error.c.o: /work/main/src/core/error.c \
 /usr/include/stdc-predef.h /work/main/src/core/error.h
