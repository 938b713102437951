/* api/: one file per resource; handlers only ever see authenticated requests with a
 * parsed body, validate input, call the service, and render results. */
#ifndef SB_API_API_H
#define SB_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/http.h"
#include "service/service.h"

/* ---- input validation (wrong JSON type -> 400, missing/invalid value -> 422) ---- */
int sb_api_need_object(sb_req *r);
/* String field: absent leaves *out NULL (422 if required); must be 1..maxlen bytes unless
 * allow_empty. Explicit null counts as absent. */
int sb_api_str(sb_req *r, const char *key, bool required, bool allow_empty, size_t maxlen, const char **out);
/* Id field: absent -> *present false; null -> *out 0; a positive integer otherwise. */
int sb_api_id(sb_req *r, const char *key, bool *present, int64_t *out);
int sb_api_bool(sb_req *r, const char *key, bool *present, bool *out);
/* Query integers. */
int sb_api_query_limit(sb_req *r, int def, int max, int *out);
int sb_api_query_id(sb_req *r, const char *key, int64_t *out); /* "none" -> -1 */
/* ?status=open,pending -> ",open,pending," in list (empty when absent), every name checked;
 * one holds the name when exactly one status was given. */
int sb_api_query_statuses(sb_req *r, char list[128], char one[16]);
/* Rejects fields not in the NULL-terminated list (422). */
int sb_api_only(sb_req *r, const char *const *allowed);

sb_actor sb_api_actor(sb_req *r);
/* The client's rate-limit key, "ip:ADDRESS" (an IPv6 client's /64; behind the trusted proxy,
 * the last X-Forwarded-For hop). */
void sb_api_client_ip(sb_req *r, char *out, size_t n);
int sb_api_not_found(sb_req *r, const char *what, int64_t id);
/* A file name we can put in a MIME header or a download: no control characters or slashes. */
bool sb_api_safe_filename(const char *name);
bool sb_api_mime_type_ok(const char *type);

/* ---- handlers ---- */
int sb_api_healthz(sb_req *r);
int sb_api_metrics(sb_req *r);
int sb_api_openapi(sb_req *r);

int sb_api_login(sb_req *r);
int sb_api_login_finish(sb_req *r);
int sb_api_logout(sb_req *r);
int sb_api_logout_finish(sb_req *r);
int sb_api_me(sb_req *r);
int sb_api_token_create(sb_req *r);
int sb_api_token_create_finish(sb_req *r);

int sb_api_conversations_list(sb_req *r);
int sb_api_conversation_create(sb_req *r);
int sb_api_conversation_get(sb_req *r);
int sb_api_conversation_update(sb_req *r);
int sb_api_conversation_finish(sb_req *r);
int sb_api_messages_list(sb_req *r);
int sb_api_message_create(sb_req *r);
int sb_api_message_finish(sb_req *r);

int sb_api_search(sb_req *r);
int sb_api_events(sb_req *r);

int sb_api_agents_list(sb_req *r);
int sb_api_agent_get(sb_req *r);
int sb_api_agent_create(sb_req *r);
int sb_api_agent_update(sb_req *r);
int sb_api_agent_delete(sb_req *r);
int sb_api_teams_list(sb_req *r);
int sb_api_team_get(sb_req *r);
int sb_api_team_create(sb_req *r);
int sb_api_team_update(sb_req *r);
int sb_api_orgs_list(sb_req *r);
int sb_api_org_get(sb_req *r);
int sb_api_org_create(sb_req *r);
int sb_api_org_update(sb_req *r);
int sb_api_contacts_list(sb_req *r);
int sb_api_contact_get(sb_req *r);
int sb_api_contact_create(sb_req *r);
int sb_api_contact_update(sb_req *r);
int sb_api_tags_list(sb_req *r);
int sb_api_tag_get(sb_req *r);
int sb_api_tag_create(sb_req *r);
int sb_api_tag_update(sb_req *r);
int sb_api_entity_delete(sb_req *r); /* teams, organizations, contacts, tags by route */
int sb_api_entity_finish(sb_req *r);

int sb_api_tokens_list(sb_req *r);
int sb_api_token_revoke(sb_req *r);
int sb_api_token_revoke_finish(sb_req *r);
int sb_api_inbound_email(sb_req *r);
int sb_api_inbound_email_finish(sb_req *r);
int sb_api_mailboxes_list(sb_req *r);
int sb_api_mailbox_get(sb_req *r);
int sb_api_mailbox_create(sb_req *r);
int sb_api_mailbox_update(sb_req *r);
int sb_api_mailbox_delete(sb_req *r);
int sb_api_mailbox_finish(sb_req *r);
int sb_api_attachment_get(sb_req *r);
int sb_api_blob_get(sb_req *r);
int sb_api_message_raw(sb_req *r);
int sb_api_upload(sb_req *r);

/* ---- workspace: notifications, test clock ---- */
int sb_api_notifications_list(sb_req *r);
int sb_api_notifications_read(sb_req *r);
int sb_api_notifications_read_finish(sb_req *r);
int sb_api_view_counts(sb_req *r);
int sb_api_presence(sb_req *r);
int sb_api_message_html(sb_req *r);
int sb_api_test_clock_get(sb_req *r);
int sb_api_test_clock_set(sb_req *r);
/* static files of the front end (web/) */
int sb_api_static_index(sb_req *r);
int sb_api_static_asset(sb_req *r);
int sb_api_static_favicon(sb_req *r);
int sb_api_static_widget_js(sb_req *r);
int sb_api_static_widget_css(sb_req *r);
int sb_api_static_widget_demo(sb_req *r);
int sb_api_static_widget_demo_css(sb_req *r);

/* ---- chat widget (api/widget.c): admin settings and the visitor API ---- */
int sb_api_widget_settings_get(sb_req *r);
int sb_api_widget_settings_put(sb_req *r);
int sb_api_widget_secret_rotate(sb_req *r);
int sb_api_widget_settings_finish(sb_req *r);
int sb_api_widget_config(sb_req *r);
int sb_api_widget_session(sb_req *r);
int sb_api_widget_session_finish(sb_req *r);
int sb_api_widget_me(sb_req *r);
int sb_api_widget_me_update(sb_req *r);
int sb_api_widget_me_finish(sb_req *r);
int sb_api_widget_conversations(sb_req *r);
int sb_api_widget_conversation_start(sb_req *r);
int sb_api_widget_conversation_start_finish(sb_req *r);
int sb_api_widget_conversation_get(sb_req *r);
int sb_api_widget_messages(sb_req *r);
int sb_api_widget_message_create(sb_req *r);
int sb_api_widget_message_finish(sb_req *r);
int sb_api_widget_upload(sb_req *r);
int sb_api_widget_attachment(sb_req *r);
int sb_api_widget_typing(sb_req *r);
int sb_api_widget_events(sb_req *r);

/* ---- web form (api/webform.c) ---- */
#define SB_WEBFORM_PER_IP 10          /* submissions per client address per window */
#define SB_WEBFORM_WINDOW_S (10 * 60)
#define SB_WEBFORM_BODY_MAX (128 * 1024) /* bytes of a submission (10,000 characters of a
                                          * non-Latin description, percent-encoded, fit) */
int sb_api_webform_page(sb_req *r);
int sb_api_webform_css(sb_req *r);
int sb_api_webform_submit(sb_req *r);
int sb_api_webform_submit_finish(sb_req *r);
int sb_api_webform_json(sb_req *r);
int sb_api_webform_json_finish(sb_req *r);
int sb_api_webform_config_get(sb_req *r);
int sb_api_webform_config_put(sb_req *r);
int sb_api_webform_config_put_finish(sb_req *r);

/* ---- SLA, after-hours, CSAT (api/sla.c) ---- */
int sb_api_sla_config_finish(sb_req *r);
int sb_api_calendars_list(sb_req *r);
int sb_api_calendar_get(sb_req *r);
int sb_api_calendar_create(sb_req *r);
int sb_api_calendar_update(sb_req *r);
int sb_api_calendar_delete(sb_req *r);
int sb_api_sla_policies_list(sb_req *r);
int sb_api_sla_policy_get(sb_req *r);
int sb_api_sla_policy_create(sb_req *r);
int sb_api_sla_policy_update(sb_req *r);
int sb_api_sla_policy_delete(sb_req *r);
int sb_api_webhooks_list(sb_req *r);
int sb_api_webhook_get(sb_req *r);
int sb_api_webhook_create(sb_req *r);
int sb_api_webhook_update(sb_req *r);
int sb_api_webhook_delete(sb_req *r);
int sb_api_after_hours_get(sb_req *r);
int sb_api_after_hours_put(sb_req *r);
int sb_api_sla_settings_get(sb_req *r);
int sb_api_sla_settings_update(sb_req *r);
int sb_api_csat_list(sb_req *r);
/* GET /conversations with ?sla= or ?sort= (called by sb_api_conversations_list). */
int sb_api_conversations_list_sla(sb_req *r, sb_conv_filter *f, int limit);
int sb_api_public_resolution_page(sb_req *r);
int sb_api_public_resolution_post(sb_req *r);
int sb_api_public_resolution_json(sb_req *r);
int sb_api_public_resolution_finish(sb_req *r);
int sb_api_public_csat_page(sb_req *r);
int sb_api_public_csat_post(sb_req *r);
int sb_api_public_csat_json(sb_req *r);
int sb_api_public_csat_finish(sb_req *r);
/* ---- routing (api/routing.c) ---- */
int sb_api_agent_routing_fields(sb_req *r, int64_t agent_id); /* max_open, timezone, shift */
int sb_api_team_routing_fields(sb_req *r);                    /* strategy, supervisor_id, ... */
int sb_api_agent_status_set(sb_req *r);
int sb_api_agent_status_finish(sb_req *r);
int sb_api_team_oncall(sb_req *r);
int sb_api_rules_list(sb_req *r);
int sb_api_rule_get(sb_req *r);
int sb_api_rule_create(sb_req *r);
int sb_api_rule_update(sb_req *r);
int sb_api_rule_delete(sb_req *r);
int sb_api_rule_finish(sb_req *r);
int sb_api_conversation_route(sb_req *r);
int sb_api_conversation_route_finish(sb_req *r);
int sb_api_conversation_escalate(sb_req *r);
int sb_api_conversation_escalate_finish(sb_req *r);

/* ---- reports (api/reports.c) ---- */
int sb_api_report_volume(sb_req *r);
int sb_api_report_times(sb_req *r);
int sb_api_report_sla(sb_req *r);
int sb_api_report_csat(sb_req *r);
int sb_api_report_backlog(sb_req *r);
int sb_api_report_heatmap(sb_req *r);
int sb_api_report_categories(sb_req *r);
int sb_api_report_tags(sb_req *r);
int sb_api_report_agents(sb_req *r);
int sb_api_report_settings_get(sb_req *r);
int sb_api_report_settings_put(sb_req *r);
int sb_api_report_settings_finish(sb_req *r);

#endif
