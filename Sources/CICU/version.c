// version.c: ICU and Unicode versions, error names. See cicu.h.
#include "cicu.h"

#include <unicode/uchar.h>
#include <unicode/utypes.h>
#include <unicode/uversion.h>

const char *cicu_icu_version(void) {
    static char buf[U_MAX_VERSION_STRING_LENGTH];
    UVersionInfo v;
    u_getVersion(v);
    u_versionToString(v, buf);
    return buf;
}

const char *cicu_unicode_version(void) {
    static char buf[U_MAX_VERSION_STRING_LENGTH];
    UVersionInfo v;
    u_getUnicodeVersion(v);
    u_versionToString(v, buf);
    return buf;
}

const char *cicu_error_name(int32_t err) { return u_errorName((UErrorCode)err); }
