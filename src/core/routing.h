/* Routing: who should own a conversation that needs one.
 *
 * Pure code: no I/O, no allocation, no clock. The service gathers the facts (the
 * conversation, its organisation's account manager, the routing rules, the candidate agents
 * of the chosen team, each with "on shift now", status, open count and capacity already
 * worked out) and asks two questions:
 *
 *   1. sb_route_choose_team: which team's queue? A fixed team (one the caller already gave
 *      the conversation) wins; else the first matching rule; else the mailbox's team; else
 *      none.
 *   2. sb_route_decide: who? The organisation's account manager when they are on shift, not
 *      offline and under capacity; else an agent of the team by its strategy among members
 *      who are on shift, online and under capacity; else nobody (the team's queue).
 *
 * See docs/routing.md. */
#ifndef SB_CORE_ROUTING_H
#define SB_CORE_ROUTING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SB_ROUTE_MAX_VALUES 16 /* alternatives per rule condition */
#define SB_ROUTE_MAX_VALUE_LEN 64

typedef enum { SB_AGENT_ONLINE = 0, SB_AGENT_AWAY, SB_AGENT_OFFLINE } sb_agent_status;
typedef enum { SB_STRATEGY_ROUND_ROBIN = 0, SB_STRATEGY_LEAST_LOADED, SB_STRATEGY_MANUAL } sb_route_strategy;

/* -1 for an unknown name (or NULL). */
int sb_agent_status_parse(const char *name);
const char *sb_agent_status_name(sb_agent_status s);
int sb_route_strategy_parse(const char *name);
const char *sb_route_strategy_name(sb_route_strategy s);

/* An agent as routing sees them at one instant. */
typedef struct {
    int64_t id;
    bool active;          /* deactivated agents are never chosen */
    sb_agent_status status;
    bool on_shift;        /* their shift calendar is open now (no schedule: always) */
    int64_t open_count;   /* conversations assigned to them that are not solved or closed */
    int64_t max_open;     /* capacity; < 0 means no limit */
    int64_t last_assigned; /* ordering key of their last routed assignment; 0 = never */
} sb_route_agent;

/* True when open_count < max_open (or there is no limit). */
bool sb_route_under_capacity(const sb_route_agent *a);

/* What a conversation looks like to the rules. Strings may be NULL. */
typedef struct {
    const char *channel;
    int64_t mailbox_id;       /* 0 none */
    int64_t organization_id;  /* 0 none */
    const char *category;     /* fields_json.category of a web form, or NULL */
    int priority;             /* sb_priority */
    const char *const *tags;
    size_t ntags;
} sb_route_facts;

/* A routing rule: every condition given must hold (AND); a condition lists alternatives
 * (OR); an absent condition matches anything. Strings compare case-insensitively (ASCII).
 * The strings point into the JSON the rule was parsed from, which must outlive the rule. */
typedef struct {
    int64_t id, team_id;
    size_t nchannels, ncategories, ntags, nmailboxes, norgs;
    const char *channels[SB_ROUTE_MAX_VALUES];
    const char *categories[SB_ROUTE_MAX_VALUES];
    const char *tags[SB_ROUTE_MAX_VALUES];
    int64_t mailboxes[SB_ROUTE_MAX_VALUES];
    int64_t orgs[SB_ROUTE_MAX_VALUES];
    unsigned priorities; /* bit (1 << sb_priority); 0 = any */
} sb_route_rule;

/* Parses and validates a rule's conditions:
 *   {"channel": "email" | [...], "mailbox_id": 3 | [...], "category": "billing" | [...],
 *    "tag": "vip" | [...], "organization_id": 7 | [...], "priority": "urgent" | [...]}
 * An empty object matches every conversation. Unknown keys, wrong types, empty lists, more
 * than SB_ROUTE_MAX_VALUES alternatives, strings longer than SB_ROUTE_MAX_VALUE_LEN, unknown
 * channels or priorities and non-positive ids are SB_E_VALIDATION with err naming the place. */
sb_err sb_route_rule_from_json(sb_route_rule *rule, const json_t *conditions, char *err, size_t errlen);

bool sb_route_rule_matches(const sb_route_rule *rule, const sb_route_facts *facts);

/* Which team's queue. Sets *rule_id to the matching rule's id (0 when none decided). */
int64_t sb_route_choose_team(const sb_route_facts *facts, const sb_route_rule *rules, size_t nrules,
                             int64_t fixed_team_id, int64_t mailbox_team_id, int64_t *rule_id);

typedef enum {
    SB_ROUTED_ACCOUNT_MANAGER = 0, /* the organisation's account manager */
    SB_ROUTED_ROUND_ROBIN,
    SB_ROUTED_LEAST_LOADED,
    SB_ROUTED_QUEUED_MANUAL,       /* the team assigns by hand */
    SB_ROUTED_QUEUED_NOBODY,       /* nobody in the team is eligible now */
    SB_ROUTED_NO_TEAM,             /* no team and no account manager: the general queue */
} sb_route_reason;
const char *sb_route_reason_name(sb_route_reason r);

typedef struct {
    const sb_route_agent *manager; /* the account manager, or NULL (none, or not to be used) */
    int64_t team_id;               /* the chosen team, 0 none */
    sb_route_strategy strategy;
    const sb_route_agent *candidates; /* the team's members */
    size_t ncandidates;
} sb_route_input;

typedef struct {
    int64_t team_id;     /* the input's team (kept when the manager takes it) */
    int64_t assignee_id; /* 0: stays unassigned in the team's queue */
    sb_route_reason reason;
} sb_route_result;

sb_route_result sb_route_decide(const sb_route_input *in);

/* Whether an agent may take a conversation from the team's queue (on shift, online, active,
 * under capacity), and whether the manager may (on shift, not offline, active, under
 * capacity). */
bool sb_route_member_eligible(const sb_route_agent *a);
bool sb_route_manager_eligible(const sb_route_agent *a);

/* Round-robin order: least recently assigned first (never assigned before anyone), then the
 * lower id. Negative when a comes first. Least-loaded order puts fewer open conversations
 * first and breaks ties by round-robin order. */
int sb_route_rr_compare(const sb_route_agent *a, const sb_route_agent *b);
int sb_route_ll_compare(const sb_route_agent *a, const sb_route_agent *b);

#endif
