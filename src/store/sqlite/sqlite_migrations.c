/* Numbered SQLite migrations. Append only: never edit a migration that has shipped. */
#include "store/migrations.h"

#define TS(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000, 'unixepoch')"
#define CONV_JSON                                                                                  \
    "json_object('id', NEW.id, 'subject', NEW.subject, 'status', NEW.status, 'priority', NEW.priority," \
    " 'priority_reason', NEW.priority_reason, 'assignee_id', NEW.assignee_id, 'team_id', NEW.team_id,"  \
    " 'contact_id', NEW.contact_id, 'channel', NEW.channel, 'follow_up_of', NEW.follow_up_of,"          \
    " 'tags', json(NEW.tags_json), 'message_count', NEW.message_count,"                                 \
    " 'created_at', " TS("NEW.created_at") ", 'updated_at', " TS("NEW.updated_at") ","                  \
    " 'last_message_at', " TS("NEW.last_message_at") ", 'solved_at', " TS("NEW.solved_at") ","         \
    " 'closed_at', " TS("NEW.closed_at") ")"

#define CONV_JSON_V2                                                                               \
    "json_object('id', NEW.id, 'subject', NEW.subject, 'status', NEW.status, 'priority', NEW.priority," \
    " 'priority_reason', NEW.priority_reason, 'assignee_id', NEW.assignee_id, 'team_id', NEW.team_id,"  \
    " 'contact_id', NEW.contact_id, 'channel', NEW.channel, 'mailbox_id', NEW.mailbox_id,"             \
    " 'follow_up_of', NEW.follow_up_of, 'tags', json(NEW.tags_json), 'message_count', NEW.message_count," \
    " 'created_at', " TS("NEW.created_at") ", 'updated_at', " TS("NEW.updated_at") ","                  \
    " 'last_message_at', " TS("NEW.last_message_at") ", 'solved_at', " TS("NEW.solved_at") ","         \
    " 'closed_at', " TS("NEW.closed_at") ")"

#define CONV_JSON_V3                                                                               \
    "json_object('id', NEW.id, 'subject', NEW.subject, 'status', NEW.status, 'priority', NEW.priority," \
    " 'priority_reason', NEW.priority_reason, 'assignee_id', NEW.assignee_id, 'team_id', NEW.team_id,"  \
    " 'contact_id', NEW.contact_id, 'channel', NEW.channel, 'mailbox_id', NEW.mailbox_id,"             \
    " 'follow_up_of', NEW.follow_up_of, 'tags', json(NEW.tags_json), 'message_count', NEW.message_count," \
    " 'created_at', " TS("NEW.created_at") ", 'updated_at', " TS("NEW.updated_at") ","                  \
    " 'last_message_at', " TS("NEW.last_message_at") ", 'solved_at', " TS("NEW.solved_at") ","         \
    " 'closed_at', " TS("NEW.closed_at") ", 'sla', json(NEW.sla_json))"

static const char m001_initial[] =
    "CREATE TABLE agents ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin','supervisor','agent','trainee')),"
    "  password_hash TEXT,"
    "  status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online','away','offline')),"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  agent_id INTEGER NOT NULL REFERENCES agents(id),"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  scope TEXT NOT NULL DEFAULT 'all' CHECK (scope IN ('all','read')),"
    "  created_at INTEGER NOT NULL, revoked_at INTEGER);"
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  agent_id INTEGER NOT NULL REFERENCES agents(id),"
    "  session_hash BLOB NOT NULL UNIQUE,"
    "  csrf_token TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
    "CREATE TABLE teams ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    "  tier TEXT NOT NULL DEFAULT 'L1' CHECK (tier IN ('L1','L2','L3')),"
    "  description TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE team_members ("
    "  team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
    "  agent_id INTEGER NOT NULL REFERENCES agents(id),"
    "  PRIMARY KEY (team_id, agent_id));"
    "CREATE INDEX team_members_agent ON team_members(agent_id);"
    "CREATE TABLE organizations ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    "  domain TEXT,"
    "  account_manager_id INTEGER REFERENCES agents(id),"
    "  notes TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  email TEXT COLLATE NOCASE,"
    "  phone TEXT,"
    "  organization_id INTEGER REFERENCES organizations(id) ON DELETE SET NULL,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX contacts_org ON contacts(organization_id);"
    "CREATE TABLE contact_identities ("
    "  id INTEGER PRIMARY KEY,"
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('email','phone','telegram','widget','slack')),"
    "  value TEXT NOT NULL COLLATE NOCASE,"
    "  UNIQUE (kind, value));"
    "CREATE INDEX contact_identities_contact ON contact_identities(contact_id);"
    "CREATE TABLE conversations ("
    "  id INTEGER PRIMARY KEY,"
    "  subject TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'open',"
    "  priority TEXT NOT NULL DEFAULT 'normal',"
    "  priority_reason TEXT,"
    "  queue_rank INTEGER NOT NULL DEFAULT 1,"
    "  assignee_id INTEGER REFERENCES agents(id),"
    "  team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,"
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
    "  channel TEXT NOT NULL DEFAULT 'api',"
    "  follow_up_of INTEGER REFERENCES conversations(id),"
    "  tags_json TEXT NOT NULL DEFAULT '[]',"
    "  message_count INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  last_message_at INTEGER, solved_at INTEGER, closed_at INTEGER,"
    "  list_json TEXT);"
    "CREATE INDEX conv_queue ON conversations(status, queue_rank, id);"
    "CREATE INDEX conv_assignee ON conversations(assignee_id, status, queue_rank, id);"
    "CREATE INDEX conv_team ON conversations(team_id, status, queue_rank, id);"
    "CREATE INDEX conv_contact ON conversations(contact_id, id);"
    "CREATE INDEX conv_rank ON conversations(queue_rank, id);"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    "  direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
    "  internal INTEGER NOT NULL DEFAULT 0,"
    "  kind TEXT NOT NULL DEFAULT 'message' CHECK (kind IN ('message','note','system')),"
    "  author_type TEXT NOT NULL CHECK (author_type IN ('agent','contact','system')),"
    "  author_id INTEGER,"
    "  body_text TEXT NOT NULL DEFAULT '',"
    "  body_html TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX messages_conv ON messages(conversation_id, id);"
    "CREATE TABLE attachments ("
    "  id INTEGER PRIMARY KEY,"
    "  message_id INTEGER NOT NULL REFERENCES messages(id),"
    "  filename TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL, inline INTEGER NOT NULL DEFAULT 0, content_id TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX attachments_message ON attachments(message_id);"
    "CREATE TABLE tags ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    "  color TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE conversation_tags ("
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    "  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (tag_id, conversation_id));"
    "CREATE INDEX conversation_tags_conv ON conversation_tags(conversation_id);"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  type TEXT NOT NULL,"
    "  conversation_id INTEGER,"
    "  contact_id INTEGER,"
    "  internal INTEGER NOT NULL DEFAULT 0,"
    "  actor_type TEXT NOT NULL, actor_id INTEGER,"
    "  data TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL);"
    /* The list item as the API shows it, rendered once per change instead of per read:
     * list reads are the hottest path of the inbox. */
    "CREATE TRIGGER conv_list_json_insert AFTER INSERT ON conversations BEGIN"
    "  UPDATE conversations SET list_json = " CONV_JSON " WHERE id = NEW.id; END;"
    "CREATE TRIGGER conv_list_json_update AFTER UPDATE OF subject, status, priority, priority_reason,"
    "  assignee_id, team_id, contact_id, channel, follow_up_of, tags_json, message_count, created_at,"
    "  updated_at, last_message_at, solved_at, closed_at ON conversations BEGIN"
    "  UPDATE conversations SET list_json = " CONV_JSON " WHERE id = NEW.id; END;"
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "  subject, body, conversation_id UNINDEXED, message_id UNINDEXED,"
    "  tokenize = 'unicode61 remove_diacritics 2');";

static const char m002_email[] =
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE mailboxes ("
    "  id INTEGER PRIMARY KEY,"
    "  address TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,"
    "  smtp_url TEXT, smtp_user TEXT, smtp_password TEXT,"
    "  imap_url TEXT, imap_user TEXT, imap_password TEXT,"
    "  imap_poll_seconds INTEGER NOT NULL DEFAULT 60,"
    "  ack_enabled INTEGER NOT NULL DEFAULT 0,"
    "  ack_template TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "ALTER TABLE conversations ADD COLUMN mailbox_id INTEGER REFERENCES mailboxes(id);"
    "CREATE TABLE conversation_cc ("
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    "  address TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (conversation_id, address));"
    /* Every Message-ID we received or sent, for threading and de-duplication. */
    "CREATE TABLE email_ids ("
    "  rfc_message_id TEXT NOT NULL,"
    "  mailbox_id INTEGER,"
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    "  message_id INTEGER REFERENCES messages(id),"
    "  outbound INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (rfc_message_id, conversation_id));"
    "CREATE INDEX email_ids_message ON email_ids(message_id);"
    "ALTER TABLE messages ADD COLUMN body_full TEXT;"
    "ALTER TABLE messages ADD COLUMN email_json TEXT;"
    "ALTER TABLE messages ADD COLUMN raw_size INTEGER;"
    "ALTER TABLE messages ADD COLUMN delivery_status TEXT;"
    "ALTER TABLE messages ADD COLUMN delivery_error TEXT;"
    /* The durable job queue: deliveries, polls, timers. */
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  payload TEXT NOT NULL DEFAULT '{}',"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','running','done','failed')),"
    "  run_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  max_attempts INTEGER NOT NULL DEFAULT 10,"
    "  last_error TEXT,"
    "  unique_key TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX jobs_due ON jobs(state, run_at);"
    /* Automatic mail sent per address, for the per-sender rate limit. */
    "CREATE TABLE auto_replies (address TEXT NOT NULL COLLATE NOCASE, sent_at INTEGER NOT NULL);"
    "CREATE INDEX auto_replies_address ON auto_replies(address, sent_at);"
    /* Raw messages live in the database: written in the same group commit as their message. */
    "CREATE TABLE raw_emails (message_id INTEGER PRIMARY KEY REFERENCES messages(id), data BLOB NOT NULL);"
    /* List items show the mailbox too. */
    "DROP TRIGGER conv_list_json_insert;"
    "DROP TRIGGER conv_list_json_update;"
    "CREATE TRIGGER conv_list_json_insert AFTER INSERT ON conversations BEGIN"
    "  UPDATE conversations SET list_json = " CONV_JSON_V2 " WHERE id = NEW.id; END;"
    "CREATE TRIGGER conv_list_json_update AFTER UPDATE OF subject, status, priority, priority_reason,"
    "  assignee_id, team_id, contact_id, channel, follow_up_of, tags_json, message_count, created_at,"
    "  updated_at, last_message_at, solved_at, closed_at, mailbox_id ON conversations BEGIN"
    "  UPDATE conversations SET list_json = " CONV_JSON_V2 " WHERE id = NEW.id; END;"
    "UPDATE conversations SET updated_at = updated_at;";

/* The browser front end: per-agent events and notifications, widget visitors, web form answers. */
static const char m003_workspace[] =
    "ALTER TABLE events ADD COLUMN agent_id INTEGER;"
    "CREATE INDEX conv_priority ON conversations(status, priority);"
    "CREATE TABLE notifications ("
    "  id INTEGER PRIMARY KEY,"
    "  agent_id INTEGER NOT NULL REFERENCES agents(id),"
    "  kind TEXT NOT NULL,"
    "  conversation_id INTEGER REFERENCES conversations(id),"
    "  text TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, read_at INTEGER);"
    "CREATE INDEX notifications_agent ON notifications(agent_id, id);"
    /* A widget visitor's secret token (stored as its SHA-256) names one contact. */
    "CREATE TABLE widget_visitors ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
    "  verified INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL);"
    "CREATE INDEX widget_visitors_contact ON widget_visitors(contact_id);"
    /* Structured answers of the web form (or any channel), shown with the conversation. */
    "ALTER TABLE conversations ADD COLUMN fields_json TEXT;";

/* SLA clocks, calendars, alerts, after-hours replies, resolution confirmation and CSAT. */
static const char m005_sla[] =
    "CREATE TABLE calendars ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    "  definition TEXT NOT NULL," /* the JSON of docs/calendars.md */
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE sla_policies ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    "  position INTEGER NOT NULL DEFAULT 0,"
    "  is_default INTEGER NOT NULL DEFAULT 0,"
    "  calendar_id INTEGER REFERENCES calendars(id),"
    "  targets_json TEXT NOT NULL DEFAULT '{}',"
    "  conditions_json TEXT NOT NULL DEFAULT '{}',"
    "  pause_on_hold INTEGER NOT NULL DEFAULT 0,"
    "  warn_percent INTEGER NOT NULL DEFAULT 0,"
    "  warn_before_minutes INTEGER NOT NULL DEFAULT 0,"
    "  alert_agent_ids_json TEXT NOT NULL DEFAULT '[]',"
    "  alert_emails_json TEXT NOT NULL DEFAULT '[]',"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE webhooks ("
    "  id INTEGER PRIMARY KEY,"
    "  url TEXT NOT NULL,"
    "  secret TEXT NOT NULL,"
    "  events_json TEXT NOT NULL DEFAULT '[\"*\"]',"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    /* After-hours replies per scope: 'mailbox:<id>' or 'channel:<name>' (widget, webform...). */
    "CREATE TABLE after_hours ("
    "  scope TEXT PRIMARY KEY,"
    "  calendar_id INTEGER REFERENCES calendars(id) ON DELETE SET NULL,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  templates_json TEXT NOT NULL DEFAULT '{}',"
    "  updated_at INTEGER NOT NULL);"
    /* One survey per conversation; the rating (NULL until answered) credits the assignee at close. */
    "CREATE TABLE csat ("
    "  conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),"
    "  agent_id INTEGER REFERENCES agents(id),"
    "  team_id INTEGER,"
    "  rating TEXT CHECK (rating IN ('excellent','good','okay','poor')),"
    "  comment TEXT,"
    "  sent_at INTEGER NOT NULL, rated_at INTEGER);"
    "CREATE INDEX csat_rated ON csat(rated_at);"
    "ALTER TABLE conversations ADD COLUMN sla_json TEXT;"
    "ALTER TABLE conversations ADD COLUMN sla_state TEXT;"
    /* The nearest due instant of a running clock (ms), or the largest instant when none: the
     * inbox's SLA order walks (sla_due, id). */
    "ALTER TABLE conversations ADD COLUMN sla_due INTEGER NOT NULL DEFAULT 253402300799000;"
    "ALTER TABLE conversations ADD COLUMN sla_data TEXT;"
    "CREATE INDEX conv_sla_due ON conversations(sla_due, id);"
    "CREATE INDEX conv_sla_state ON conversations(sla_state, id);"
    "DROP TRIGGER conv_list_json_insert;"
    "DROP TRIGGER conv_list_json_update;"
    "CREATE TRIGGER conv_list_json_insert AFTER INSERT ON conversations BEGIN"
    "  UPDATE conversations SET list_json = " CONV_JSON_V3 " WHERE id = NEW.id; END;"
    "CREATE TRIGGER conv_list_json_update AFTER UPDATE OF subject, status, priority, priority_reason,"
    "  assignee_id, team_id, contact_id, channel, follow_up_of, tags_json, message_count, created_at,"
    "  updated_at, last_message_at, solved_at, closed_at, mailbox_id, sla_json ON conversations BEGIN"
    "  UPDATE conversations SET list_json = " CONV_JSON_V3 " WHERE id = NEW.id; END;"
    "UPDATE conversations SET updated_at = updated_at;";
/* Routing: agent status, capacity and shifts; team strategy, supervisor, escalation target and
 * on-call rotation; ordered routing rules. */
static const char m006_routing[] =
    "ALTER TABLE agents ADD COLUMN max_open INTEGER;"
    "ALTER TABLE agents ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';"
    "ALTER TABLE agents ADD COLUMN shift_json TEXT;"
    /* Round-robin order: a global sequence of routed assignments (0 = never). */
    "ALTER TABLE agents ADD COLUMN assign_seq INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE agents ADD COLUMN last_assigned_at INTEGER;"
    "ALTER TABLE teams ADD COLUMN strategy TEXT NOT NULL DEFAULT 'round_robin'"
    "  CHECK (strategy IN ('round_robin','least_loaded','manual'));"
    "ALTER TABLE teams ADD COLUMN supervisor_id INTEGER REFERENCES agents(id);"
    "ALTER TABLE teams ADD COLUMN escalation_team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL;"
    "ALTER TABLE teams ADD COLUMN oncall_json TEXT;"
    "CREATE TABLE routing_rules ("
    "  id INTEGER PRIMARY KEY,"
    "  position INTEGER NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  conditions_json TEXT NOT NULL DEFAULT '{}',"
    "  team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX routing_rules_order ON routing_rules(position, id);";

/* Reports: one fact row per conversation, kept current by the service at write time
 * (service/reports.c), clustered by creation instant so that a date range is one contiguous
 * scan. Business times are filled by the service; rows back-filled here count wall time
 * (see docs/reports.md). sla_*: 0 no target, 1 met, 2 breached, 3 running. */
static const char m009_reports[] =
    "CREATE TABLE conv_facts ("
    "  created_at INTEGER NOT NULL,"
    "  conversation_id INTEGER NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  team_id INTEGER, assignee_id INTEGER,"
    "  status TEXT NOT NULL,"
    "  category TEXT,"
    "  tag_ids TEXT NOT NULL DEFAULT '',"           /* ",3,7," */
    "  first_response_at INTEGER, frt_wall_s INTEGER, frt_bus_s INTEGER,"
    "  resolved_at INTEGER, res_wall_s INTEGER, res_bus_s INTEGER,"
    "  sla_first INTEGER NOT NULL DEFAULT 0, sla_next INTEGER NOT NULL DEFAULT 0,"
    "  sla_res INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (created_at, conversation_id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX conv_facts_conv ON conv_facts(conversation_id);"
    /* narrow rows for the response-time scans (times, agents) */
    "CREATE INDEX conv_facts_frt ON conv_facts(created_at, assignee_id, frt_wall_s, frt_bus_s, team_id, channel);"
    "CREATE INDEX conv_facts_resolved ON conv_facts(resolved_at, res_wall_s, res_bus_s, team_id, assignee_id,"
    "  channel, tag_ids) WHERE resolved_at IS NOT NULL;"
    "CREATE INDEX conv_facts_backlog ON conv_facts(status, created_at) WHERE status IN ('open','pending','on_hold');"
    "INSERT INTO conv_facts (created_at, conversation_id, channel, team_id, assignee_id, status, category, tag_ids,"
    "  first_response_at, resolved_at)"
    " SELECT c.created_at, c.id, c.channel, c.team_id, c.assignee_id, c.status,"
    "  CASE WHEN json_valid(c.fields_json) THEN json_extract(c.fields_json, '$.category') END,"
    "  COALESCE((SELECT ',' || group_concat(tag_id, ',') || ',' FROM conversation_tags WHERE conversation_id = c.id), ''),"
    "  (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'out'"
    "    AND m.internal = 0 AND m.kind = 'message' AND m.author_type = 'agent'),"
    "  CASE WHEN c.status IN ('solved','closed') THEN COALESCE(NULLIF(c.solved_at, 0), c.closed_at) END"
    " FROM conversations c;"
    "UPDATE conv_facts SET frt_wall_s = (first_response_at - created_at) / 1000,"
    "  frt_bus_s = (first_response_at - created_at) / 1000 WHERE first_response_at IS NOT NULL;"
    "UPDATE conv_facts SET res_wall_s = (resolved_at - created_at) / 1000,"
    "  res_bus_s = (resolved_at - created_at) / 1000 WHERE resolved_at IS NOT NULL;";

static const sb_migration migrations[] = {
    {1, "initial schema", m001_initial},
    {2, "email channel: mailboxes, threading ids, jobs", m002_email},
    {3, "workspace: notifications, widget visitors, form fields", m003_workspace},
    {5, "sla: calendars, policies, clocks, webhooks, after-hours, csat", m005_sla},
    {6, "routing: agent capacity and shifts, team strategies, on-call, rules", m006_routing},
    {9, "reports: conversation facts", m009_reports},
};

const sb_migration *sb_sqlite_migrations(int *count)
{
    *count = (int)(sizeof migrations / sizeof migrations[0]);
    return migrations;
}
