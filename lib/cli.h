/*
 * cli: what every program does at start and at exit: load the config
 * (flags > environment > ir.conf > defaults), set the shop's clock, and at
 * the end flush and check stdout so a full disk fails the run (sbase, jq).
 * For cmd/ only: it reports through log.
 */
#ifndef IR_CLI_H
#define IR_CLI_H

#include <stdio.h>

#include "config.h"

/* Loads the config from conf_path (NULL: IR_CONF or ./ir.conf), applies the
 * --now flag if given, and sets the clock. NULL after reporting why. */
struct config *cli_config(const char *conf_path, const char *now_flag);
/* The exit status to use when cli_config returned NULL. */
extern int cli_last_status;
/* Prints "prog VERSION" to stdout. */
void	cli_version(void);
/* Opens a named input ("-" is stdin). NULL after reporting why. */
FILE	*cli_open_input(const char *path);
struct docs;
/*
 * Loads the rules doc (suppliers = 0) or the suppliers doc (1) named by
 * uri: a path, s3://BUCKET/KEY or gsheet://ID. 0, or an exit status after
 * reporting why (66 missing, 69 service down, 75 retry later, 77 denied).
 */
int	cli_load_doc(struct docs *, const char *uri, int suppliers);
/* Reads a small document (a template) by uri into b, at most 64 kB.
 * 0, or -1 after a warning naming it. */
struct buf;
int	cli_read_small(const char *uri, struct buf *b);
/*
 * The record loop every filter runs over a named input ("-" is stdin):
 * calls record(ctx, source, lineno, line, len) for each non-blank line,
 * in order (source is the path, or "stdin"; cli_where makes the
 * "source:line" of a message only when one is printed, off the per-row
 * path). A file that cannot be opened is reported and sets *status to
 * 66 (the next file goes on); a line over max_line (0: NDJSON_MAX_LINE)
 * goes to toolong(ctx, where) when given, else is reported and sets
 * *status to 65. Returns 0, 74 on a read error, or the first non-zero
 * value record/toolong returned (which stops the loop).
 */
struct cli_records {
	size_t	 max_line;
	int	(*record)(void *ctx, const char *source, unsigned long lineno,
		    const char *line, size_t len);
	int	(*toolong)(void *ctx, const char *where);
	void	*ctx;
	int	*status;
};
int	cli_each_record(const char *path, const struct cli_records *);
/* "source:line" into buf. */
const char *cli_where(char *buf, size_t bufsz, const char *source,
	    unsigned long lineno);
/* Flushes stdout; returns status, or EX_IOERR if stdout failed. */
int	cli_exit(int status);
/* Line-buffer stdout on a terminal, large block buffer otherwise. */
void	cli_stdout_buffering(void);
/* Test-only fault hook: SIGKILLs the process at the named step when the
 * IR_FAULT setting names it (used to prove crash safety). */
void	cli_fault(const struct config *, const char *step);
/* The exit status for a failed store call: 75 when the store is busy
 * (retry later), else 69. */
int	cli_store_status(int rc);
/* The worst of two exit statuses (0 < 65 < 69 ...: any non-zero wins,
 * the first non-zero is kept). */
int	cli_worst(int a, int b);

#endif
