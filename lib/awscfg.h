/*
 * awscfg: settings and secrets from AWS, below ir.conf in precedence
 * (design.md section 5): Parameter Store parameters under IR_PARAMETERS
 * (for example /ir/config/: /ir/config/IR_TZ or /ir/config/tz both set
 * IR_TZ) and the secrets of Secrets Manager under IR_SECRETS (for example
 * ir/: ir/slack/bot-token, ir/slack/signing-secret, ir/pos/hmac,
 * ir/drive/sa). Fetched once per process start; the values stay in the
 * config (the cache) for the life of the process. Nothing happens unless
 * IR_PARAMETERS or IR_SECRETS is set.
 */
#ifndef IR_AWSCFG_H
#define IR_AWSCFG_H

#include <stddef.h>

#include "config.h"

/* 0, or -1 with err and *status (69 unreachable, 75 throttled, 77
 * denied). A secret that does not exist is not an error. */
int	awscfg_load(struct config *, int *status, char *err, size_t errsz);

#endif
