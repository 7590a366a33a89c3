/* awscfg: Parameter Store and Secrets Manager as config sources. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "aws.h"
#include "awscfg.h"

static const struct {
	const char *key, *name;
} secrets[] = {
	{ "IR_SLACK_BOT_TOKEN", "slack/bot-token" },
	{ "IR_SLACK_SIGNING_SECRET", "slack/signing-secret" },
	{ "IR_POS_HMAC_KEY", "pos/hmac" },
	{ "IR_GOOGLE_SA", "drive/sa" },
};

/* "/ir/config/quiet_hours" under "/ir/config/" -> "IR_QUIET_HOURS". */
static int
param_key(const char *name, const char *path, char *key, size_t keysz)
{
	size_t pl = strlen(path), i, o = 0;
	const char *rest;

	if (strncmp(name, path, pl) != 0)
		return -1;
	rest = name + pl;
	while (*rest == '/')
		rest++;
	if (strncmp(rest, "IR_", 3) != 0 && strncmp(rest, "ir_", 3) != 0)
		o = (size_t)snprintf(key, keysz, "IR_");
	for (i = 0; rest[i] != '\0' && o + 1 < keysz; i++)
		key[o++] = rest[i] == '-' || rest[i] == '/' ? '_' :
		    (char)toupper((unsigned char)rest[i]);
	key[o] = '\0';
	return 0;
}

static int
load_parameters(struct config *c, const char *path, int *status, char *err,
    size_t errsz)
{
	struct aws_error e;
	json_t *req, *out, *params, *p, *next;
	const char *name, *value;
	char key[128], origin[300];
	size_t i;
	int pages = 0;

	next = NULL;
	do {
		req = json_pack("{s:s, s:b, s:b}", "Path", path, "Recursive", 1,
		    "WithDecryption", 1);
		if (req == NULL)
			return -1;
		if (next != NULL)
			json_object_set_new(req, "NextToken", next);
		next = NULL;
		if (aws_json(&aws_ssm, "1.1", "AmazonSSM.GetParametersByPath",
		    req, &out, &e) == -1) {
			json_decref(req);
			snprintf(err, errsz, "Parameter Store %s: %s", path,
			    e.message);
			*status = aws_exit_status(&e);
			return -1;
		}
		json_decref(req);
		params = json_object_get(out, "Parameters");	/* borrowed */
		json_array_foreach(params, i, p) {
			name = json_string_value(json_object_get(p, "Name"));
			value = json_string_value(json_object_get(p, "Value"));
			if (name == NULL || value == NULL ||
			    param_key(name, path, key, sizeof(key)) == -1 ||
			    !config_known(key))
				continue;
			snprintf(origin, sizeof(origin), "parameter %s", name);
			config_set_below(c, key, value, origin);
		}
		if (json_string_value(json_object_get(out, "NextToken")))
			next = json_incref(json_object_get(out, "NextToken"));
		json_decref(out);
	} while (next != NULL && ++pages < 100);
	json_decref(next);
	return 0;
}

static int
load_secrets(struct config *c, const char *prefix, int *status, char *err,
    size_t errsz)
{
	struct aws_error e;
	json_t *req, *out;
	const char *v;
	char id[256], origin[300];
	size_t i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (config_get(c, secrets[i].key) != NULL)
			continue;	/* the environment or ir.conf wins */
		snprintf(id, sizeof(id), "%s%s", prefix, secrets[i].name);
		if ((req = json_pack("{s:s}", "SecretId", id)) == NULL)
			return -1;
		if (aws_json(&aws_secretsmanager, "1.1",
		    "secretsmanager.GetSecretValue", req, &out, &e) == -1) {
			json_decref(req);
			if (strcmp(e.code, "ResourceNotFoundException") == 0)
				continue;
			/* the message names the secret, never its value */
			snprintf(err, errsz, "Secrets Manager %s: %s", id,
			    e.message);
			*status = aws_exit_status(&e);
			return -1;
		}
		json_decref(req);
		if ((v = json_string_value(json_object_get(out,
		    "SecretString"))) != NULL) {
			snprintf(origin, sizeof(origin), "secret %s", id);
			config_set_below(c, secrets[i].key, v, origin);
		}
		json_decref(out);
	}
	return 0;
}

int
awscfg_load(struct config *c, int *status, char *err, size_t errsz)
{
	const char *path = config_get(c, "IR_PARAMETERS");
	const char *prefix = config_get(c, "IR_SECRETS");

	*status = 0;
	if (path != NULL && load_parameters(c, path, status, err, errsz) == -1)
		return -1;
	if (prefix != NULL && load_secrets(c, prefix, status, err, errsz) == -1)
		return -1;
	return 0;
}
