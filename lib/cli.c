/* cli: program start and exit. See cli.h. */
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "awscfg.h"
#include "buf.h"
#include "docs.h"
#include "docsrc.h"
#include "log.h"
#include "ndjson.h"
#include "store.h"

/* Why cli_config failed: an exit status (78 unless a service failed). */
int cli_last_status = EX_CONFIG;

static void
conf_warn(void *ctx, const char *where, const char *msg)
{
	log_warn(where, "%s", msg);
}

struct config *
cli_config(const char *conf_path, const char *now_flag)
{
	struct config_warner w = { conf_warn, NULL };
	struct config *c;
	char err[512];

	if ((c = config_load(conf_path, &w, err, sizeof(err))) == NULL) {
		log_error(NULL, "%s", err);
		return NULL;
	}
	if (now_flag != NULL && config_set(c, "IR_NOW", now_flag) == -1) {
		log_error(NULL, "out of memory");
		config_free(c);
		return NULL;
	}
	config_set_global(c);
	{
		int st;

		if (awscfg_load(c, &st, err, sizeof(err)) == -1) {
			log_error(NULL, "%s", err);
			config_set_global(NULL);
			config_free(c);
			cli_last_status = st ? st : EX_UNAVAILABLE;
			return NULL;
		}
	}
	if (config_get(c, "IR_LOG_FORMAT") != NULL)
		log_set_json(strcmp(config_get(c, "IR_LOG_FORMAT"), "json") ==
		    0);
	if (clock_init(config_get(c, "IR_NOW"), config_get(c, "IR_TZ"), err,
	    sizeof(err)) == -1) {
		log_error(NULL, "%s", err);
		config_free(c);
		return NULL;
	}
	return c;
}

void
cli_version(void)
{
	printf("%s %s\n", log_prog(), IR_VERSION);
}

FILE *
cli_open_input(const char *path)
{
	FILE *fp;

	if (strcmp(path, "-") == 0)
		return stdin;
	if ((fp = fopen(path, "r")) == NULL)
		log_error(path, "cannot open: %s", strerror(errno));
	return fp;
}

int
cli_exit(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_error(NULL, "write error on standard output: %s",
		    strerror(errno));
		return EX_IOERR;
	}
	return status;
}

void
cli_stdout_buffering(void)
{
	static char big[1 << 16];
	struct stat st;

	if (isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		setvbuf(stdout, big, _IOFBF, sizeof(big));
#ifdef F_SETPIPE_SZ
	/*
	 * Into a pipe (the next filter), 1 MB at a time rather than 64 kB:
	 * the two programs wake each other a sixteenth as often. Linux
	 * only; a refusal (the per-user pipe limit) leaves it as it was.
	 */
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
#endif
}

void
cli_fault(const struct config *c, const char *step)
{
	const char *f = config_get(c, "IR_FAULT");

	if (f != NULL && strcmp(f, step) == 0) {
		fflush(stdout);
		raise(SIGKILL);
	}
}

int
cli_store_status(int rc)
{
	return rc == STORE_UNAVAILABLE ? EX_TEMPFAIL : EX_UNAVAILABLE;
}

int
cli_worst(int a, int b)
{
	return a != 0 ? a : b;
}

static void
doc_warn(void *ctx, const char *source, unsigned long line, const char *msg)
{
	char where[600];

	snprintf(where, sizeof(where), "%s:%lu", source, line);
	log_warn(where, "%s", msg);
}

int
cli_load_doc(struct docs *d, const char *uri, int suppliers)
{
	struct docs_warner w = { doc_warn, NULL };
	struct docsrc_info info;
	char err[512];
	FILE *fp;
	int status, rc;

	if ((fp = docsrc_open_always(uri, &info, &status, err,
	    sizeof(err))) == NULL) {
		log_error(NULL, "cannot read the %s doc: %s", suppliers ?
		    "suppliers" : "rules", err);
		return status ? status : EX_NOINPUT;
	}
	rc = suppliers ? docs_load_suppliers_fp(d, fp, uri, &w) :
	    docs_load_rules_fp(d, fp, uri, &w);
	if (fp != stdin)
		fclose(fp);
	if (rc == -1) {
		log_error(uri, "cannot read: %s", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

int
cli_read_small(const char *uri, struct buf *b)
{
	struct docsrc_info info;
	char err[512], chunk[4096];
	size_t n;
	FILE *fp;
	int status;

	if ((fp = docsrc_open_always(uri, &info, &status, err,
	    sizeof(err))) == NULL) {
		log_warn(uri, "%s", err);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (b->len + n > 64 * 1024 || buf_add(b, chunk, n) == -1) {
			log_warn(uri, "larger than 64 kB");
			if (fp != stdin)
				fclose(fp);
			return -1;
		}
	if (fp != stdin)
		fclose(fp);
	return 0;
}

int
cli_each_record(const char *path, const struct cli_records *cr)
{
	struct ndjson_reader *r;
	const char *line, *source = strcmp(path, "-") ? path : "stdin";
	size_t len, max = cr->max_line ? cr->max_line : NDJSON_MAX_LINE;
	unsigned long lineno;
	char where[300];
	FILE *fp;
	int rc = 0, got;

	if ((fp = cli_open_input(path)) == NULL) {
		*cr->status = cli_worst(*cr->status, EX_NOINPUT);
		return 0;
	}
	if ((r = ndjson_open(fp, max)) == NULL) {
		log_error(NULL, "out of memory");
		if (fp != stdin)
			fclose(fp);
		return EX_OSERR;
	}
	while (rc == 0 && (got = ndjson_next(r, &line, &len, &lineno)) !=
	    NDJSON_EOF) {
		if (got == NDJSON_OK) {
			rc = cr->record(cr->ctx, source, lineno, line, len);
			continue;
		}
		if (got == NDJSON_IOERR) {
			log_error(source, "read error");
			rc = EX_IOERR;
			continue;
		}
		cli_where(where, sizeof(where), source, lineno);
		if (cr->toolong != NULL)
			rc = cr->toolong(cr->ctx, where);
		else {
			log_error(where, "record longer than %zu bytes "
			    "(skipped)", max);
			*cr->status = cli_worst(*cr->status, EX_DATAERR);
		}
	}
	ndjson_close(r);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

const char *
cli_where(char *buf, size_t bufsz, const char *source, unsigned long lineno)
{
	snprintf(buf, bufsz, "%s:%lu", source, lineno);
	return buf;
}
