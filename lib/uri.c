/* uri: URI schemes. See uri.h. */
#include <ctype.h>

#include "uri.h"

size_t
uri_scheme_len(const char *uri)
{
	size_t i;

	if (!isalpha((unsigned char)uri[0]))
		return 0;
	for (i = 1; uri[i] != '\0'; i++) {
		if (uri[i] == ':')
			return i;
		if (!isalnum((unsigned char)uri[i]) && uri[i] != '+' &&
		    uri[i] != '-' && uri[i] != '.')
			return 0;
	}
	return 0;
}
