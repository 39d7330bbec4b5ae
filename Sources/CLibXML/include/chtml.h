// chtml.h: HTML to text with libxml2's HTML parser (Debian's libxml2-dev).
//
// This header includes only <stdint.h>, so libxml2's types never reach Swift.
// Units: lengths are UTF-8 bytes.
#ifndef CHTML_H
#define CHTML_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Marks, in `title`, `heading` and `body`, collapsed whitespace that held a line break (a
/// segment break, https://www.w3.org/TR/css-text-3/#line-break-transform): the caller decides
/// whether it reads as a space or as nothing (between East Asian wide characters).
#define CHTML_SEGMENT_BREAK '\v'

/// The text of an HTML document. Both strings are malloc'd, NUL-terminated UTF-8; free the
/// whole result with chtml_result_free.
typedef struct {
    char *title;         // <title> text, whitespace collapsed; "" when there is none
    int32_t title_len;
    char *heading;       // text of the first <h1>..<h6>; "" when there is none
    int32_t heading_len;
    char *body;          // text of <body>: no tags, comments, <script>, <style>, <noscript>,
    int32_t body_len;    // <template> or <head>; entities decoded; block elements end in "\n\n"
    char *links;         // the href of every <a>, one per line; "" when there is none
    int32_t links_len;
} chtml_result;

/// Parses `len` bytes of UTF-8 HTML (libxml2's forgiving HTML parser: broken markup is
/// recovered, never rejected; no network access). Returns 0 on success, -1 when libxml2
/// could not build a document at all (then `out` holds empty strings) or memory ran out.
int chtml_extract(const char *html, int32_t len, chtml_result *out);

void chtml_result_free(chtml_result *result);

#ifdef __cplusplus
}
#endif

#endif
