/* Unit tests for core/routing (who owns a conversation) and core/oncall (who is on call). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/conversation.h"
#include "core/oncall.h"
#include "core/routing.h"
#include "util/tz.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* An eligible agent: active, online, on shift, no limit, never assigned. */
static sb_route_agent agent(int64_t id)
{
    return (sb_route_agent){.id = id, .active = true, .status = SB_AGENT_ONLINE, .on_shift = true,
                            .open_count = 0, .max_open = -1, .last_assigned = 0};
}

static sb_route_result decide(const sb_route_agent *mgr, int64_t team, sb_route_strategy s,
                              const sb_route_agent *c, size_t n)
{
    sb_route_input in = {.manager = mgr, .team_id = team, .strategy = s, .candidates = c, .ncandidates = n};
    return sb_route_decide(&in);
}

/* ---- names ---- */

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(sb_agent_status_parse("online"), SB_AGENT_ONLINE);
    assert_int_equal(sb_agent_status_parse("away"), SB_AGENT_AWAY);
    assert_int_equal(sb_agent_status_parse("offline"), SB_AGENT_OFFLINE);
    assert_int_equal(sb_agent_status_parse("Online"), -1);
    assert_int_equal(sb_agent_status_parse(NULL), -1);
    assert_string_equal(sb_agent_status_name(SB_AGENT_AWAY), "away");
    assert_int_equal(sb_route_strategy_parse("round_robin"), SB_STRATEGY_ROUND_ROBIN);
    assert_int_equal(sb_route_strategy_parse("least_loaded"), SB_STRATEGY_LEAST_LOADED);
    assert_int_equal(sb_route_strategy_parse("manual"), SB_STRATEGY_MANUAL);
    assert_int_equal(sb_route_strategy_parse("random"), -1);
    assert_string_equal(sb_route_strategy_name(SB_STRATEGY_LEAST_LOADED), "least_loaded");
    assert_string_equal(sb_route_reason_name(SB_ROUTED_ACCOUNT_MANAGER), "account_manager");
    assert_string_equal(sb_route_reason_name(SB_ROUTED_QUEUED_NOBODY), "queued_nobody_eligible");
}

/* ---- capacity and eligibility ---- */

static void test_capacity(void **state)
{
    (void)state;
    sb_route_agent a = agent(1);
    assert_true(sb_route_under_capacity(&a)); /* no limit */
    a.open_count = 1000000;
    assert_true(sb_route_under_capacity(&a));
    a.max_open = 3;
    a.open_count = 2;
    assert_true(sb_route_under_capacity(&a));
    a.open_count = 3;
    assert_false(sb_route_under_capacity(&a));
    a.open_count = 4; /* over after a manual assignment */
    assert_false(sb_route_under_capacity(&a));
    a.max_open = 0;   /* takes nothing by routing */
    a.open_count = 0;
    assert_false(sb_route_under_capacity(&a));
}

static void test_member_eligibility_matrix(void **state)
{
    (void)state;
    /* Every combination: only active + on shift + online + under capacity is eligible. */
    for (int active = 0; active < 2; active++)
        for (int shift = 0; shift < 2; shift++)
            for (int st = 0; st < 3; st++)
                for (int full = 0; full < 2; full++) {
                    sb_route_agent a = agent(7);
                    a.active = active;
                    a.on_shift = shift;
                    a.status = (sb_agent_status)st;
                    a.max_open = 2;
                    a.open_count = full ? 2 : 1;
                    bool want = active && shift && st == SB_AGENT_ONLINE && !full;
                    assert_int_equal(sb_route_member_eligible(&a), want);
                    /* The account manager may be away, never offline. */
                    bool want_mgr = active && shift && st != SB_AGENT_OFFLINE && !full;
                    assert_int_equal(sb_route_manager_eligible(&a), want_mgr);
                }
}

/* ---- account manager first ---- */

static void test_manager_first(void **state)
{
    (void)state;
    sb_route_agent mgr = agent(50);
    sb_route_agent team[] = {agent(1), agent(2)};
    sb_route_result r = decide(&mgr, 9, SB_STRATEGY_ROUND_ROBIN, team, 2);
    assert_int_equal(r.assignee_id, 50);
    assert_int_equal(r.reason, SB_ROUTED_ACCOUNT_MANAGER);
    assert_int_equal(r.team_id, 9); /* the team is kept */
    /* Even with no team and a manual team. */
    r = decide(&mgr, 0, SB_STRATEGY_ROUND_ROBIN, NULL, 0);
    assert_int_equal(r.assignee_id, 50);
    r = decide(&mgr, 9, SB_STRATEGY_MANUAL, team, 2);
    assert_int_equal(r.assignee_id, 50);
    /* Away is fine for the manager. */
    mgr.status = SB_AGENT_AWAY;
    r = decide(&mgr, 9, SB_STRATEGY_ROUND_ROBIN, team, 2);
    assert_int_equal(r.assignee_id, 50);
}

static void test_manager_skipped(void **state)
{
    (void)state;
    sb_route_agent team[] = {agent(1), agent(2)};
    sb_route_agent mgr = agent(50);
    mgr.status = SB_AGENT_OFFLINE;
    sb_route_result r = decide(&mgr, 9, SB_STRATEGY_ROUND_ROBIN, team, 2);
    assert_int_equal(r.assignee_id, 1);
    assert_int_equal(r.reason, SB_ROUTED_ROUND_ROBIN);
    mgr = agent(50);
    mgr.on_shift = false;
    r = decide(&mgr, 9, SB_STRATEGY_ROUND_ROBIN, team, 2);
    assert_int_equal(r.assignee_id, 1);
    mgr = agent(50);
    mgr.max_open = 5;
    mgr.open_count = 5;
    r = decide(&mgr, 9, SB_STRATEGY_ROUND_ROBIN, team, 2);
    assert_int_equal(r.assignee_id, 1);
    mgr = agent(50);
    mgr.active = false;
    r = decide(&mgr, 9, SB_STRATEGY_ROUND_ROBIN, team, 2);
    assert_int_equal(r.assignee_id, 1);
    /* Manager unavailable and no team: the general queue. */
    r = decide(&mgr, 0, SB_STRATEGY_ROUND_ROBIN, NULL, 0);
    assert_int_equal(r.assignee_id, 0);
    assert_int_equal(r.team_id, 0);
    assert_int_equal(r.reason, SB_ROUTED_NO_TEAM);
}

/* ---- strategies ---- */

/* Simulates the service: decide, then record the assignment like the store does. */
static int64_t assign_next(sb_route_agent *team, size_t n, sb_route_strategy s, int64_t *seq)
{
    sb_route_result r = decide(NULL, 9, s, team, n);
    for (size_t i = 0; i < n; i++)
        if (team[i].id == r.assignee_id) {
            team[i].last_assigned = ++*seq;
            team[i].open_count++;
        }
    return r.assignee_id;
}

static void test_round_robin_fair(void **state)
{
    (void)state;
    sb_route_agent team[] = {agent(30), agent(10), agent(20)};
    int64_t seq = 0, counts[3] = {0};
    int64_t expect[] = {10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30};
    for (size_t i = 0; i < ARRAY_LEN(expect); i++) {
        int64_t who = assign_next(team, 3, SB_STRATEGY_ROUND_ROBIN, &seq);
        assert_int_equal(who, expect[i]);
        counts[who / 10 - 1]++;
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(counts[i], 4);
}

static void test_round_robin_least_recent_first(void **state)
{
    (void)state;
    sb_route_agent team[] = {agent(1), agent(2), agent(3)};
    team[0].last_assigned = 7;
    team[1].last_assigned = 3;
    team[2].last_assigned = 5;
    sb_route_result r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, team, 3);
    assert_int_equal(r.assignee_id, 2);
    /* Never assigned beats everyone. */
    team[2].last_assigned = 0;
    r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, team, 3);
    assert_int_equal(r.assignee_id, 3);
    /* Ties: the lower id, whatever the input order. */
    sb_route_agent tied[] = {agent(8), agent(4), agent(6)};
    for (size_t i = 0; i < 3; i++)
        tied[i].last_assigned = 2;
    r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, tied, 3);
    assert_int_equal(r.assignee_id, 4);
    /* Round robin ignores load. */
    team[2].open_count = 50;
    r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, team, 3);
    assert_int_equal(r.assignee_id, 3);
}

static void test_round_robin_skips_and_resumes(void **state)
{
    (void)state;
    /* An agent who goes away is skipped; the others keep rotating; back online they are next
     * (they have waited longest). */
    sb_route_agent team[] = {agent(1), agent(2), agent(3)};
    int64_t seq = 0;
    assert_int_equal(assign_next(team, 3, SB_STRATEGY_ROUND_ROBIN, &seq), 1);
    team[1].status = SB_AGENT_AWAY;
    assert_int_equal(assign_next(team, 3, SB_STRATEGY_ROUND_ROBIN, &seq), 3);
    assert_int_equal(assign_next(team, 3, SB_STRATEGY_ROUND_ROBIN, &seq), 1);
    assert_int_equal(assign_next(team, 3, SB_STRATEGY_ROUND_ROBIN, &seq), 3);
    team[1].status = SB_AGENT_ONLINE;
    assert_int_equal(assign_next(team, 3, SB_STRATEGY_ROUND_ROBIN, &seq), 2);
    assert_int_equal(assign_next(team, 3, SB_STRATEGY_ROUND_ROBIN, &seq), 1);
}

static void test_least_loaded(void **state)
{
    (void)state;
    sb_route_agent team[] = {agent(1), agent(2), agent(3)};
    team[0].open_count = 4;
    team[1].open_count = 2;
    team[2].open_count = 3;
    sb_route_result r = decide(NULL, 9, SB_STRATEGY_LEAST_LOADED, team, 3);
    assert_int_equal(r.assignee_id, 2);
    assert_int_equal(r.reason, SB_ROUTED_LEAST_LOADED);
    /* Equal load: round-robin order (least recently assigned, then id). */
    team[2].open_count = 2;
    team[1].last_assigned = 9;
    team[2].last_assigned = 4;
    r = decide(NULL, 9, SB_STRATEGY_LEAST_LOADED, team, 3);
    assert_int_equal(r.assignee_id, 3);
    team[1].last_assigned = 4;
    r = decide(NULL, 9, SB_STRATEGY_LEAST_LOADED, team, 3);
    assert_int_equal(r.assignee_id, 2);
    /* Filling up evenly from uneven loads. */
    sb_route_agent t2[] = {agent(1), agent(2), agent(3)};
    t2[0].open_count = 3;
    int64_t seq = 0;
    int64_t expect[] = {2, 3, 2, 3, 2, 3, 1, 2, 3};
    for (size_t i = 0; i < ARRAY_LEN(expect); i++)
        assert_int_equal(assign_next(t2, 3, SB_STRATEGY_LEAST_LOADED, &seq), expect[i]);
}

static void test_capacity_limits_assignment(void **state)
{
    (void)state;
    sb_route_agent team[] = {agent(1), agent(2)};
    team[0].max_open = 2;
    team[1].max_open = 1;
    int64_t seq = 0;
    assert_int_equal(assign_next(team, 2, SB_STRATEGY_ROUND_ROBIN, &seq), 1);
    assert_int_equal(assign_next(team, 2, SB_STRATEGY_ROUND_ROBIN, &seq), 2);
    assert_int_equal(assign_next(team, 2, SB_STRATEGY_ROUND_ROBIN, &seq), 1);
    sb_route_result r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, team, 2);
    assert_int_equal(r.assignee_id, 0);
    assert_int_equal(r.reason, SB_ROUTED_QUEUED_NOBODY);
    assert_int_equal(r.team_id, 9);
    r = decide(NULL, 9, SB_STRATEGY_LEAST_LOADED, team, 2);
    assert_int_equal(r.assignee_id, 0);
    /* Capacity frees: routing resumes. */
    team[1].open_count = 0;
    assert_int_equal(assign_next(team, 2, SB_STRATEGY_ROUND_ROBIN, &seq), 2);
}

static void test_off_shift_and_status_skipped(void **state)
{
    (void)state;
    sb_route_agent team[] = {agent(1), agent(2), agent(3), agent(4)};
    team[0].on_shift = false;
    team[1].status = SB_AGENT_AWAY;
    team[2].status = SB_AGENT_OFFLINE;
    sb_route_result r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, team, 4);
    assert_int_equal(r.assignee_id, 4);
    r = decide(NULL, 9, SB_STRATEGY_LEAST_LOADED, team, 4);
    assert_int_equal(r.assignee_id, 4);
    team[3].active = false;
    r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, team, 4);
    assert_int_equal(r.assignee_id, 0);
    assert_int_equal(r.reason, SB_ROUTED_QUEUED_NOBODY);
}

static void test_manual_and_empty(void **state)
{
    (void)state;
    sb_route_agent team[] = {agent(1)};
    sb_route_result r = decide(NULL, 9, SB_STRATEGY_MANUAL, team, 1);
    assert_int_equal(r.assignee_id, 0);
    assert_int_equal(r.reason, SB_ROUTED_QUEUED_MANUAL);
    r = decide(NULL, 9, SB_STRATEGY_ROUND_ROBIN, NULL, 0);
    assert_int_equal(r.assignee_id, 0);
    assert_int_equal(r.reason, SB_ROUTED_QUEUED_NOBODY);
    r = decide(NULL, 0, SB_STRATEGY_ROUND_ROBIN, team, 1); /* no team: members are not consulted */
    assert_int_equal(r.assignee_id, 0);
    assert_int_equal(r.reason, SB_ROUTED_NO_TEAM);
}

/* ---- rules ---- */

typedef struct {
    json_t *json;
    sb_route_rule rule;
} trule;

static trule *rule(int64_t id, int64_t team, const char *conditions)
{
    trule *t = calloc(1, sizeof *t);
    json_error_t e;
    t->json = json_loads(conditions, 0, &e);
    assert_non_null(t->json);
    t->rule.id = id;
    t->rule.team_id = team;
    char err[200] = "";
    sb_err rc = sb_route_rule_from_json(&t->rule, t->json, err, sizeof err);
    if (rc != SB_OK)
        fail_msg("rule %s: %s", conditions, err);
    assert_int_equal(t->rule.id, id);
    assert_int_equal(t->rule.team_id, team);
    return t;
}

static void rule_free(trule *t)
{
    json_decref(t->json);
    free(t);
}

static void test_rule_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "{\"color\":\"red\"}",
        "{\"channel\":\"fax\"}",
        "{\"channel\":[]}",
        "{\"channel\":5}",
        "{\"channel\":[\"email\", 5]}",
        "{\"priority\":\"critical\"}",
        "{\"mailbox_id\":0}",
        "{\"mailbox_id\":-3}",
        "{\"mailbox_id\":\"3\"}",
        "{\"organization_id\":[1, 2.5]}",
        "{\"tag\":\"\"}",
        "{\"category\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
        "{\"tag\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        sb_route_rule r = {0};
        char err[200] = "";
        assert_int_equal(sb_route_rule_from_json(&r, j, err, sizeof err), SB_E_VALIDATION);
        assert_true(err[0] != '\0');
        json_decref(j);
    }
    /* 16 alternatives are fine. */
    trule *ok = rule(1, 1, "{\"tag\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\"]}");
    assert_int_equal(ok->rule.ntags, 16);
    rule_free(ok);
}

static void test_rule_matching(void **state)
{
    (void)state;
    const char *tags[] = {"Billing", "vip"};
    sb_route_facts f = {.channel = "email", .mailbox_id = 4, .organization_id = 12, .category = "refund",
                        .priority = SB_PRIORITY_HIGH, .tags = tags, .ntags = 2};
    static const struct {
        const char *cond;
        bool match;
    } cases[] = {
        {"{}", true},
        {"{\"channel\":\"email\"}", true},
        {"{\"channel\":\"EMAIL\"}", false}, /* channel names are exact; validation refuses this */
        {"{\"channel\":[\"widget\",\"email\"]}", true},
        {"{\"channel\":\"widget\"}", false},
        {"{\"mailbox_id\":4}", true},
        {"{\"mailbox_id\":[1,2,3]}", false},
        {"{\"organization_id\":[12]}", true},
        {"{\"organization_id\":13}", false},
        {"{\"category\":\"Refund\"}", true},
        {"{\"category\":[\"billing\",\"sales\"]}", false},
        {"{\"tag\":\"VIP\"}", true},
        {"{\"tag\":[\"x\",\"billing\"]}", true},
        {"{\"tag\":\"urgent-care\"}", false},
        {"{\"priority\":\"high\"}", true},
        {"{\"priority\":[\"urgent\",\"low\"]}", false},
        {"{\"channel\":\"email\",\"tag\":\"vip\",\"priority\":[\"high\",\"urgent\"],\"mailbox_id\":4}", true},
        {"{\"channel\":\"email\",\"tag\":\"vip\",\"priority\":\"urgent\"}", false}, /* AND */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_t *j = json_loads(cases[i].cond, 0, NULL);
        sb_route_rule r = {0};
        sb_err rc = sb_route_rule_from_json(&r, j, NULL, 0);
        if (strstr(cases[i].cond, "EMAIL")) {
            assert_int_equal(rc, SB_E_VALIDATION);
        } else {
            assert_int_equal(rc, SB_OK);
            if (sb_route_rule_matches(&r, &f) != cases[i].match)
                fail_msg("case %s", cases[i].cond);
        }
        json_decref(j);
    }
    /* Facts without the attribute never match a condition on it. */
    sb_route_facts empty = {.priority = SB_PRIORITY_NORMAL};
    static const char *const need[] = {"{\"channel\":\"api\"}", "{\"mailbox_id\":1}", "{\"organization_id\":1}",
                                       "{\"category\":\"x\"}", "{\"tag\":\"x\"}"};
    for (size_t i = 0; i < ARRAY_LEN(need); i++) {
        trule *t = rule(1, 1, need[i]);
        assert_false(sb_route_rule_matches(&t->rule, &empty));
        rule_free(t);
    }
}

static void test_choose_team(void **state)
{
    (void)state;
    trule *r1 = rule(11, 100, "{\"category\":\"billing\"}");
    trule *r2 = rule(12, 200, "{\"channel\":\"email\"}");
    trule *r3 = rule(13, 300, "{\"tag\":\"vip\"}");
    sb_route_rule rules[] = {r1->rule, r2->rule, r3->rule};
    const char *vip[] = {"vip"};
    sb_route_facts f = {.channel = "email", .category = "billing", .tags = vip, .ntags = 1};
    int64_t rid;
    /* First matching rule wins, in order. */
    assert_int_equal(sb_route_choose_team(&f, rules, 3, 0, 7, &rid), 100);
    assert_int_equal(rid, 11);
    f.category = "sales";
    assert_int_equal(sb_route_choose_team(&f, rules, 3, 0, 7, &rid), 200);
    assert_int_equal(rid, 12);
    f.channel = "widget";
    assert_int_equal(sb_route_choose_team(&f, rules, 3, 0, 7, &rid), 300);
    assert_int_equal(rid, 13);
    /* No rule: the mailbox's team, else none. */
    f.ntags = 0;
    assert_int_equal(sb_route_choose_team(&f, rules, 3, 0, 7, &rid), 7);
    assert_int_equal(rid, 0);
    assert_int_equal(sb_route_choose_team(&f, rules, 3, 0, 0, &rid), 0);
    assert_int_equal(sb_route_choose_team(&f, NULL, 0, 0, 0, &rid), 0);
    /* A fixed team beats the rules. */
    f.category = "billing";
    assert_int_equal(sb_route_choose_team(&f, rules, 3, 55, 7, &rid), 55);
    assert_int_equal(rid, 0);
    rule_free(r1);
    rule_free(r2);
    rule_free(r3);
}

/* ---- on-call ---- */

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    /* days from civil (Howard Hinnant) */
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + mi * 60;
}

static sb_cal_tz real_tz(sb_tz *tz)
{
    return (sb_cal_tz){.utc_offset_s = sb_tz_offset, .next_change_s = sb_tz_next_change, .ctx = tz};
}

static void test_oncall_hours(void **state)
{
    (void)state;
    sb_oncall oc = {.agent_ids = {5, 6, 7}, .nagents = 3, .start_s = utc(2026, 1, 1, 0, 0), .length_s = 12 * 3600};
    assert_int_equal(sb_oncall_check(&oc, NULL, 0), SB_OK);
    sb_oncall_answer a;
    sb_oncall_at(&oc, utc(2025, 12, 31, 23, 59), &a);
    assert_int_equal(a.agent_id, 0);
    assert_int_equal(a.source, SB_ONCALL_NONE);
    assert_int_equal(a.to_s, oc.start_s);
    sb_oncall_at(&oc, oc.start_s, &a);
    assert_int_equal(a.agent_id, 5);
    assert_int_equal(a.source, SB_ONCALL_ROTATION);
    assert_int_equal(a.from_s, oc.start_s);
    assert_int_equal(a.to_s, oc.start_s + 43200);
    sb_oncall_at(&oc, oc.start_s + 43199, &a);
    assert_int_equal(a.agent_id, 5);
    sb_oncall_at(&oc, oc.start_s + 43200, &a);
    assert_int_equal(a.agent_id, 6);
    sb_oncall_at(&oc, oc.start_s + 2 * 43200 + 5, &a);
    assert_int_equal(a.agent_id, 7);
    sb_oncall_at(&oc, oc.start_s + 3 * 43200, &a);
    assert_int_equal(a.agent_id, 5);
    assert_int_equal(a.turn, 3);
    sb_oncall_at(&oc, oc.start_s + 3000 * 43200 + 1, &a); /* 3000 % 3 == 0 */
    assert_int_equal(a.agent_id, 5);
}

static void test_oncall_overrides(void **state)
{
    (void)state;
    int64_t s = utc(2026, 1, 5, 9, 0);
    sb_oncall oc = {.agent_ids = {5, 6}, .nagents = 2, .start_s = s, .length_s = 24 * 3600, .noverrides = 2};
    oc.overrides[0] = (sb_oncall_override){.agent_id = 9, .from_s = s + 3600, .to_s = s + 7200};
    oc.overrides[1] = (sb_oncall_override){.agent_id = 8, .from_s = s + 5400, .to_s = s + 9000};
    sb_oncall_answer a;
    sb_oncall_at(&oc, s + 3599, &a);
    assert_int_equal(a.agent_id, 5);
    sb_oncall_at(&oc, s + 3600, &a);
    assert_int_equal(a.agent_id, 9);
    assert_int_equal(a.source, SB_ONCALL_OVERRIDE);
    assert_int_equal(a.to_s, s + 7200);
    sb_oncall_at(&oc, s + 6000, &a); /* both cover: the later-listed wins */
    assert_int_equal(a.agent_id, 8);
    sb_oncall_at(&oc, s + 9000, &a); /* end excluded */
    assert_int_equal(a.agent_id, 5);
    /* An override works before the rotation starts and with no rotation agents. */
    oc.overrides[0] = (sb_oncall_override){.agent_id = 9, .from_s = s - 7200, .to_s = s - 3600};
    sb_oncall_at(&oc, s - 5000, &a);
    assert_int_equal(a.agent_id, 9);
    oc.nagents = 0;
    sb_oncall_at(&oc, s + 100, &a);
    assert_int_equal(a.agent_id, 0);
}

static void test_oncall_check(void **state)
{
    (void)state;
    sb_oncall oc = {.agent_ids = {1}, .nagents = 1, .start_s = 0, .length_s = 1800};
    assert_int_equal(sb_oncall_check(&oc, NULL, 0), SB_E_VALIDATION);
    oc.length_s = 0;
    oc.length_days = 367;
    char err[100];
    assert_int_equal(sb_oncall_check(&oc, err, sizeof err), SB_E_VALIDATION);
    oc.length_days = 7;
    assert_int_equal(sb_oncall_check(&oc, err, sizeof err), SB_OK);
    oc.noverrides = 1;
    oc.overrides[0] = (sb_oncall_override){.agent_id = 1, .from_s = 10, .to_s = 10};
    assert_int_equal(sb_oncall_check(&oc, err, sizeof err), SB_E_VALIDATION);
}

/* Weekly handover Monday 09:00 Kyiv time across both DST changes of 2026
 * (29 March: +02 -> +03; 25 October: +03 -> +02). */
static void test_oncall_days_dst_kyiv(void **state)
{
    (void)state;
    sb_tz *tz = sb_tz_open("Europe/Kyiv");
    assert_non_null(tz);
    sb_oncall oc = {.agent_ids = {1, 2, 3}, .nagents = 3, .start_s = utc(2026, 3, 16, 7, 0), /* Mon 09:00 +02 */
                    .length_days = 7, .tz = real_tz(tz)};
    sb_oncall_answer a;
    sb_oncall_at(&oc, utc(2026, 3, 23, 6, 59), &a); /* Mon 08:59 +02 */
    assert_int_equal(a.agent_id, 1);
    sb_oncall_at(&oc, utc(2026, 3, 23, 7, 0), &a);
    assert_int_equal(a.agent_id, 2);
    /* The week that contains the change is 167 hours: next Monday 09:00 is 06:00 UTC. */
    assert_int_equal(a.to_s, utc(2026, 3, 30, 6, 0));
    assert_int_equal(a.to_s - a.from_s, 167 * 3600);
    sb_oncall_at(&oc, utc(2026, 3, 30, 6, 30), &a); /* 09:30 +03: agent 3 */
    assert_int_equal(a.agent_id, 3);
    assert_int_equal(a.from_s, utc(2026, 3, 30, 6, 0));
    sb_oncall_at(&oc, utc(2026, 3, 30, 5, 59), &a);
    assert_int_equal(a.agent_id, 2);
    /* Autumn: Monday 26 October 09:00 is +02 again, 07:00 UTC; the week before is 169 hours. */
    sb_oncall_at(&oc, utc(2026, 10, 26, 6, 59), &a);
    int64_t k_before = a.turn;
    assert_int_equal(a.to_s, utc(2026, 10, 26, 7, 0));
    assert_int_equal(a.to_s - a.from_s, 169 * 3600);
    sb_oncall_at(&oc, utc(2026, 10, 26, 7, 0), &a);
    assert_int_equal(a.turn, k_before + 1);
    assert_int_equal(a.agent_id, oc.agent_ids[a.turn % 3]);
    sb_tz_free(tz);
}

/* Daily handover at 02:30 New York time. On 8 March 2026 02:00-03:00 does not happen: that
 * handover moves on by the length of the gap, to 03:30 EDT. */
static void test_oncall_days_dst_new_york(void **state)
{
    (void)state;
    sb_tz *tz = sb_tz_open("America/New_York");
    assert_non_null(tz);
    sb_oncall oc = {.agent_ids = {1, 2}, .nagents = 2, .start_s = utc(2026, 3, 1, 7, 30), /* 02:30 EST */
                    .length_days = 1, .tz = real_tz(tz)};
    sb_oncall_answer a;
    sb_oncall_at(&oc, utc(2026, 3, 7, 7, 30), &a); /* Sat 02:30 EST: turn 6 */
    assert_int_equal(a.turn, 6);
    assert_int_equal(a.agent_id, 1);
    assert_int_equal(a.to_s, utc(2026, 3, 8, 7, 30)); /* 03:30 EDT */
    sb_oncall_at(&oc, utc(2026, 3, 8, 7, 29), &a);
    assert_int_equal(a.turn, 6);
    sb_oncall_at(&oc, utc(2026, 3, 8, 7, 30), &a);
    assert_int_equal(a.turn, 7);
    assert_int_equal(a.agent_id, 2);
    /* Monday 02:30 EDT = 06:30 UTC: a 23-hour turn. */
    assert_int_equal(a.to_s, utc(2026, 3, 9, 6, 30));
    assert_int_equal(a.to_s - a.from_s, 23 * 3600);
    /* Fall back, 1 November 2026: 01:30 happens twice; a handover then is the first one. */
    assert_int_equal(sb_oncall_local_to_utc(&oc.tz, utc(2026, 11, 1, 1, 30)), utc(2026, 11, 1, 5, 30));
    assert_int_equal(sb_oncall_local_to_utc(&oc.tz, utc(2026, 11, 1, 3, 0)), utc(2026, 11, 1, 8, 0));
    assert_int_equal(sb_oncall_local_to_utc(&oc.tz, utc(2026, 7, 1, 12, 0)), utc(2026, 7, 1, 16, 0));
    sb_tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_member_eligibility_matrix),
        cmocka_unit_test(test_manager_first),
        cmocka_unit_test(test_manager_skipped),
        cmocka_unit_test(test_round_robin_fair),
        cmocka_unit_test(test_round_robin_least_recent_first),
        cmocka_unit_test(test_round_robin_skips_and_resumes),
        cmocka_unit_test(test_least_loaded),
        cmocka_unit_test(test_capacity_limits_assignment),
        cmocka_unit_test(test_off_shift_and_status_skipped),
        cmocka_unit_test(test_manual_and_empty),
        cmocka_unit_test(test_rule_invalid),
        cmocka_unit_test(test_rule_matching),
        cmocka_unit_test(test_choose_team),
        cmocka_unit_test(test_oncall_hours),
        cmocka_unit_test(test_oncall_overrides),
        cmocka_unit_test(test_oncall_check),
        cmocka_unit_test(test_oncall_days_dst_kyiv),
        cmocka_unit_test(test_oncall_days_dst_new_york),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
