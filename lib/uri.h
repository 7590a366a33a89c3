/*
 * uri: the scheme of a backend URI ("sqlite:", "s3://", "slack:"), one
 * rule for the store, the channels and every other URI-chosen backend.
 */
#ifndef IR_URI_H
#define IR_URI_H

#include <stddef.h>

/* Length of the RFC 3986 scheme at the start of uri (a letter, then
 * letters, digits, '+', '-', '.', up to ':'); 0 when uri has none, as a
 * bare path ("./a:b.db") does. */
size_t	uri_scheme_len(const char *uri);

#endif
