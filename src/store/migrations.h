/* Numbered schema migrations, one list per engine. */
#ifndef SB_STORE_MIGRATIONS_H
#define SB_STORE_MIGRATIONS_H

typedef struct {
    int version;
    const char *name;
    const char *sql;
} sb_migration;

const sb_migration *sb_sqlite_migrations(int *count);

#endif
