/* store/: the reports' fact rows (one per conversation, kept current at write time by
 * service/reports.c) and the range scans the report figures are computed from. */
#ifndef SB_STORE_STORE_REPORTS_H
#define SB_STORE_STORE_REPORTS_H

#include "store/store.h"

#define SB_REP_CATEGORY_MAX 200 /* bytes of a category kept in a fact row */
#define SB_REP_TAG_IDS_MAX 1024 /* ",3,7," for up to 50 tags */

/* SLA outcome per target, as stored. */
enum { SB_REP_SLA_NONE = 0, SB_REP_SLA_MET = 1, SB_REP_SLA_BREACHED = 2, SB_REP_SLA_RUNNING = 3 };

typedef struct {
    int64_t conversation_id, created_at; /* ms */
    char channel[32], status[16], priority[16];
    int64_t team_id, assignee_id;        /* 0 = none */
    char category[SB_REP_CATEGORY_MAX];  /* "" = none */
    char tag_ids[SB_REP_TAG_IDS_MAX];
    int64_t first_response_at, resolved_at; /* ms, 0 = none */
    int64_t frt_wall_s, frt_bus_s, res_wall_s, res_bus_s; /* -1 = none */
    int sla[3];                          /* first_response, next_response, resolution */
} sb_rep_fact;

/* The conversation's current data for its fact row (every field but the business times and
 * SLA outcomes), plus its SLA clock data and policy id (0 none); *sla_data is malloc'd or NULL. */
sb_err sb_store_rep_source(sb_db *w, int64_t conversation_id, sb_rep_fact *out, char **sla_data, int64_t *policy_id);
/* The stored fact row; SB_E_NOT_FOUND when none yet. */
sb_err sb_store_rep_fact_get(sb_db *db, int64_t conversation_id, sb_rep_fact *out);
sb_err sb_store_rep_fact_put(sb_db *w, const sb_rep_fact *f);

/* ---- scans ---- */
typedef struct {
    int64_t from, to;           /* ms, [from, to) */
    int64_t team_id, agent_id;  /* 0 = any */
    const char *channel;        /* NULL = any */
    int64_t tag_id;             /* 0 = any; < 0 matches nothing */
} sb_rep_filter;

/* One row of a scan; each kind fills only its own fields (the others stay 0 / NULL). */
typedef struct {
    int64_t at;               /* created_at (CREATED_*, BACKLOG), resolved_at (RESOLVED), rated_at (CSAT), ms */
    int64_t agent_id;         /* the assignee (CSAT: the rated agent); 0 = none */
    int64_t wall_s, bus_s;    /* first response (CREATED_TIMES) or resolution (RESOLVED); -1 = none */
    int sla[3];               /* CREATED_SLA */
    const char *category;     /* CREATED_CATEGORY */
    const char *tag_ids;      /* CREATED_TAGS: ",3,7," */
    const char *rating;       /* CSAT */
} sb_rep_row;

/* Scans read only the columns their report needs: at a million rows a column costs. */
typedef enum {
    SB_REP_SCAN_CREATED_AT,     /* conversations created in the range: at */
    SB_REP_SCAN_CREATED_TIMES,  /* ... at, agent_id, first response wall_s/bus_s */
    SB_REP_SCAN_CREATED_SLA,    /* ... sla */
    SB_REP_SCAN_CREATED_CATEGORY, /* ... with a category: category */
    SB_REP_SCAN_CREATED_TAGS,   /* ... with tags: tag_ids */
    SB_REP_SCAN_RESOLVED,       /* conversations (last) solved or closed in the range: at, agent_id, wall_s, bus_s */
    SB_REP_SCAN_BACKLOG,        /* open, pending and on_hold conversations now (the range is ignored): at */
    SB_REP_SCAN_CSAT,           /* surveys rated in the range: at, agent_id, rating */
} sb_rep_scan_kind;

/* Calls fn for every matching row (the row's strings live until fn returns); fn returns
 * non-zero to stop. */
typedef int (*sb_rep_row_fn)(void *ctx, const sb_rep_row *row);
sb_err sb_store_rep_scan(sb_db *db, sb_rep_scan_kind kind, const sb_rep_filter *f, sb_rep_row_fn fn, void *ctx);

/* A tag's id by name (case-insensitive), 0 when there is no such tag. */
int64_t sb_store_rep_tag_id(sb_db *db, const char *name);
/* {id: name} of tags / agents, for labelling. */
json_t *sb_store_rep_tag_names(sb_db *db);
json_t *sb_store_rep_agent_names(sb_db *db);

#endif
