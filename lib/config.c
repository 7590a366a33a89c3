/* config: flags > environment > ir.conf > defaults. See config.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dec.h"
#include "docs.h"

/* Every key the programs know, with its built-in default (NULL: none). */
static const struct {
	const char *key, *def;
} keys[] = {
	{ "AWS_ACCESS_KEY_ID", NULL },
	{ "AWS_DEFAULT_REGION", NULL },
	{ "AWS_ENDPOINT_URL", NULL },
	{ "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", NULL },
	{ "AWS_ENDPOINT_URL_DYNAMODB", NULL },
	{ "AWS_ENDPOINT_URL_EVENTBRIDGE", NULL },
	{ "AWS_ENDPOINT_URL_S3", NULL },
	{ "AWS_ENDPOINT_URL_SCHEDULER", NULL },
	{ "AWS_ENDPOINT_URL_SECRETS_MANAGER", NULL },
	{ "AWS_ENDPOINT_URL_SES", NULL },
	{ "AWS_ENDPOINT_URL_SSM", NULL },
	{ "AWS_ENDPOINT_URL_TEXTRACT", NULL },
	{ "AWS_REGION", NULL },
	{ "AWS_SECRET_ACCESS_KEY", NULL },
	{ "AWS_SESSION_TOKEN", NULL },
	{ "IR_CONF", NULL },
	{ "IR_DAYS_OF_COVER", "14" },
	{ "IR_DEFAULT_LEAD_TIME_DAYS", "7" },
	{ "IR_FALLBACK_SUPPLIER", NULL },
	{ "IR_FAULT", NULL },
	{ "IR_FROM", "reorder-bot@localhost" },
	{ "IR_GOOGLE_STATE", NULL },
	{ "IR_EVENT_BUS", "default" },
	{ "IR_GOOGLE_API_URL", NULL },
	{ "IR_GOOGLE_SA", NULL },
	{ "IR_GOOGLE_TOKEN_URL", NULL },
	{ "IR_LINK_KEY", NULL },
	{ "IR_LLM", NULL },
	{ "IR_LOG_FORMAT", NULL },
	{ "IR_MAIL", "outbox:var/outbox" },
	{ "IR_NOTIFY", "outbox:var/outbox" },
	{ "IR_NOW", NULL },
	{ "IR_ORDER_CAP", NULL },
	{ "IR_OWNER_EMAIL", "owner@localhost" },
	{ "IR_HTTP_RETRIES", NULL },
	{ "IR_HTTP_TIMEOUT_MS", NULL },
	{ "IR_PARAMETERS", NULL },	/* Parameter Store path: /ir/config/ */
	{ "IR_POS_HMAC_KEY", NULL },
	{ "IR_PUBLIC_URL", NULL },
	{ "IR_QUIET_DAYS", NULL },
	{ "IR_QUIET_HOURS", NULL },
	{ "IR_RULES", NULL },
	{ "IR_SCHEDULER_ROLE_ARN", NULL },
	{ "IR_SCHEDULER_TARGET_ARN", NULL },
	{ "IR_SECRETS", NULL },		/* Secrets Manager prefix: ir/ */
	{ "IR_SERVE_LISTEN", "127.0.0.1:8080" },	/* ir-serve */
	{ "IR_SERVE_MAX_BODY", "1048576" },	/* = HTTPEV_MAX_BODY */
	{ "IR_SERVE_ROUTES", NULL },	/* "/x=wrapper ...": adds, replaces */
	{ "IR_SERVE_TIMEOUT_MS", "10000" },
	{ "IR_SHOP_NAME", "our shop" },
	{ "IR_SKIP_COOLDOWN_DAYS", "7" },
	{ "IR_SLACK_API_URL", NULL },
	{ "IR_SLACK_BOT_TOKEN", NULL },
	{ "IR_SLACK_SIGNING_SECRET", NULL },
	{ "IR_STOCK", NULL },
	{ "IR_STORE", "sqlite:var/ir.db" },
	{ "IR_STORE_TRACE", NULL },	/* diagnostics: count round trips */
	{ "IR_SUPPLIERS", NULL },
	{ "IR_TZ", "UTC" },
	{ "IR_WATCH_MARGIN", "25%" },
	{ "IR_WRAPPERS_DIR", NULL },	/* ir-serve: lambda/wrappers */
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct config {
	char	*val[NKEYS];
	char	*origin[NKEYS];
};

/* The process's config, for backends opened by URI (see config.h). */
static const struct config *global;

void
config_set_global(const struct config *c)
{
	global = c;
}

const struct config *
config_global(void)
{
	return global;
}

static int
key_index(const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

static int
put(struct config *c, int i, const char *v, const char *origin)
{
	char *nv = strdup(v), *no = strdup(origin);

	if (nv == NULL || no == NULL) {
		free(nv);
		free(no);
		return -1;
	}
	free(c->val[i]);
	free(c->origin[i]);
	c->val[i] = nv;
	c->origin[i] = no;
	return 0;
}

static void
warn(const struct config_warner *w, const char *where, const char *msg)
{
	if (w != NULL && w->fn != NULL)
		w->fn(w->ctx, where, msg);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (e - s >= 2 && ((*s == '"' && e[-1] == '"') ||
	    (*s == '\'' && e[-1] == '\''))) {
		e[-1] = '\0';
		s++;
	}
	return s;
}

/* ir.conf: KEY=VALUE lines, '#' comments, blank lines. */
static int
load_file(struct config *c, const char *path, const struct config_warner *w)
{
	FILE *fp;
	char *line = NULL, *eq, *k, *v, where[512], msg[600];
	size_t cap = 0;
	unsigned long lineno = 0;
	int i;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%lu", path, lineno);
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			warn(w, where, "expected KEY=value (line ignored)");
			continue;
		}
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		if (strncmp(k, "export ", 7) == 0)
			k = trim(k + 7);
		if ((i = key_index(k)) == -1) {
			snprintf(msg, sizeof(msg),
			    "unknown setting \"%.100s\" (ignored)", k);
			warn(w, where, msg);
			continue;
		}
		if (put(c, i, v, where) == -1) {
			free(line);
			fclose(fp);
			errno = ENOMEM;
			return -1;
		}
	}
	free(line);
	fclose(fp);
	return 0;
}

struct config *
config_load(const char *path, const struct config_warner *w, char *err,
    size_t errsz)
{
	struct config *c;
	const char *v;
	size_t i;
	int named = path != NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def && put(c, (int)i, keys[i].def, "default"))
			goto nomem;
	if (path == NULL && (v = getenv("IR_CONF")) != NULL && *v) {
		path = v;
		named = 1;
	}
	if (path == NULL)
		path = "ir.conf";
	if (load_file(c, path, w) == -1 && (named || errno != ENOENT)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		config_free(c);
		return NULL;
	}
	for (i = 0; i < NKEYS; i++)
		if ((v = getenv(keys[i].key)) != NULL &&
		    put(c, (int)i, v, "environment"))
			goto nomem;
	return c;
nomem:
	snprintf(err, errsz, "out of memory");
	config_free(c);
	return NULL;
}

int
config_set_below(struct config *c, const char *key, const char *value,
    const char *origin)
{
	int i = key_index(key);

	if (i == -1)
		return -1;
	if (c->origin[i] != NULL && strcmp(c->origin[i], "default") != 0)
		return 0;
	return put(c, i, value, origin);
}

int
config_known(const char *key)
{
	return key_index(key) != -1;
}

int
config_set(struct config *c, const char *key, const char *value)
{
	int i = key_index(key);

	if (i == -1)
		return -1;
	return put(c, i, value, "flag");
}

const char *
config_get(const struct config *c, const char *key)
{
	int i = key_index(key);

	if (c == NULL || i == -1 || c->val[i] == NULL || c->val[i][0] == '\0')
		return NULL;
	return c->val[i];
}

const char *
config_origin(const struct config *c, const char *key)
{
	int i = key_index(key);

	return i == -1 ? NULL : c->origin[i];
}

int
config_int(const struct config *c, const char *key, long long min,
    long long max, long long *out, char *err, size_t errsz)
{
	const char *v = config_get(c, key);
	long long n;

	if (v == NULL)
		return 0;
	if (docs_parse_count(v, &n) == -1 || n < min || n > max) {
		snprintf(err, errsz, "%s=\"%.60s\" (from %s) is not a whole "
		    "number from %lld to %lld", key, v,
		    config_origin(c, key), min, max);
		return -1;
	}
	*out = n;
	return 1;
}

int
config_fraction(const struct config *c, const char *key, int64_t *out,
    char *err, size_t errsz)
{
	const char *v = config_get(c, key);

	if (v == NULL)
		return 0;
	if (docs_parse_fraction(v, out) == -1 || *out < 0) {
		snprintf(err, errsz, "%s=\"%.60s\" (from %s) is not a "
		    "percentage like 25%% or a fraction like 0.25", key, v,
		    config_origin(c, key));
		return -1;
	}
	return 1;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (global == c)
		global = NULL;
	for (i = 0; i < NKEYS; i++) {
		free(c->val[i]);
		free(c->origin[i]);
	}
	free(c);
}
