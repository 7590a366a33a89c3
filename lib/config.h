/*
 * config: the settings every program reads, with the precedence of
 * design.md section 5: command-line flag > environment IR_* > ir.conf >
 * built-in default. (Parameter Store slots in below ir.conf on AWS.)
 * This module is the one place that reads IR_* variables; programs ask it.
 * Keys and defaults are listed in man/ir.conf.5 and in config.c's table.
 *
 * Ownership: the config owns every string it returns; they live until
 * config_free().
 */
#ifndef IR_CONFIG_H
#define IR_CONFIG_H

#include <stdint.h>

struct config;

/* Warnings (an unknown key in ir.conf, a malformed line) go to fn. */
struct config_warner {
	void	(*fn)(void *ctx, const char *where, const char *msg);
	void	*ctx;
};

/*
 * Loads defaults, then the file at path (NULL: $IR_CONF, else ./ir.conf
 * when it exists; a named file that is missing is an error), then the
 * environment. NULL with a message in err.
 */
struct config *config_load(const char *path, const struct config_warner *,
	    char *err, size_t errsz);
/* A value from a command-line flag: beats everything. 0 or -1 (ENOMEM). */
int	 config_set(struct config *, const char *key, const char *value);
/* A value from a source below ir.conf (Parameter Store, Secrets
 * Manager): set only where nothing but the default is. 0, -1 unknown key
 * or ENOMEM. */
int	 config_set_below(struct config *, const char *key, const char *value,
	    const char *origin);
/* 1 if key is a setting the programs know. */
int	 config_known(const char *key);
/* The value, or NULL when unset (an empty value counts as unset). */
const char *config_get(const struct config *, const char *key);	/* c may be NULL */
/* Where the value came from: "flag", "environment", "ir.conf:12",
 * "default", or NULL. */
const char *config_origin(const struct config *, const char *key);
/*
 * Typed reads: 1 with *out set, 0 when unset, -1 when the value is bad
 * (message in err, naming the key and where it came from).
 */
int	 config_int(const struct config *, const char *key, long long min,
	    long long max, long long *out, char *err, size_t errsz);
int	 config_fraction(const struct config *, const char *key, int64_t *out,
	    char *err, size_t errsz);
void	 config_free(struct config *);
/*
 * The process's config. Backends chosen by a URI (dynamodb:, s3://,
 * slack:, ses:, ...) read their settings (credentials, endpoints, tokens)
 * from it; cli_config sets it once at start. NULL before that, and then
 * config_get answers NULL for every key.
 */
void	 config_set_global(const struct config *);
const struct config *config_global(void);

#endif
