// chtml.c: walks libxml2's HTML tree and collects the visible text. See chtml.h.
#include "chtml.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} buf;

static void buf_put(buf *b, const char *s, size_t n) {
    if (b->failed || n == 0) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap) cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) { b->failed = 1; return; }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Appends text with HTML whitespace collapsed: a run of ASCII whitespace becomes one space, and
// no space is put at the start of a line.
static void put_collapsed(buf *b, const char *s) {
    for (const char *p = s; *p; ) {
        if (is_space((unsigned char)*p)) {
            while (*p && is_space((unsigned char)*p)) p++;
            if (b->len > 0 && b->data[b->len - 1] != ' ' && b->data[b->len - 1] != '\n') buf_put(b, " ", 1);
        } else {
            const char *q = p;
            while (*q && !is_space((unsigned char)*q)) q++;
            buf_put(b, p, (size_t)(q - p));
            p = q;
        }
    }
}

// Ends the current paragraph: trailing spaces are dropped and exactly one blank line follows.
static void put_break(buf *b, int blank_line) {
    while (b->len > 0 && b->data[b->len - 1] == ' ') b->data[--b->len] = 0;
    if (b->len == 0) return;
    if (b->data[b->len - 1] != '\n') buf_put(b, "\n", 1);
    if (blank_line && !(b->len >= 2 && b->data[b->len - 2] == '\n')) buf_put(b, "\n", 1);
}

static int name_in(const xmlChar *name, const char *const *list) {
    for (; *list; list++) {
        if (strcasecmp((const char *)name, *list) == 0) return 1;
    }
    return 0;
}

static const char *const skipped[] = {"script", "style", "noscript", "template", "head", "iframe",
                                      "object", "svg", "math", "select", NULL};
static const char *const blocks[] = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr",
    "thead", "tbody", "tfoot", "caption", "blockquote", "pre", "hr", "section", "article", "header",
    "footer", "nav", "aside", "main", "figure", "figcaption", "address", "form", "fieldset", "details",
    "summary", "body", "html", "center", NULL};
static const char *const cells[] = {"td", "th", NULL};
static const char *const headings[] = {"h1", "h2", "h3", "h4", "h5", "h6", NULL};

// Every walk below is iterative: it follows the tree's child, next and parent links and keeps
// no stack, so nesting depth (200,000 nested <div> elements, say) costs no C stack at all.

// The text of `top`'s descendants (not `top` itself), whitespace collapsed, skipped elements left out.
static void collect_text(xmlNodePtr top, buf *b) {
    xmlNodePtr n = top->children;
    while (n != NULL) {
        int descend = 0;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content != NULL) put_collapsed(b, (const char *)n->content);
        } else if (n->type == XML_ELEMENT_NODE && n->name != NULL && !name_in(n->name, skipped)) {
            descend = n->children != NULL;
        }
        if (descend) { n = n->children; continue; }
        while (n != top && n->next == NULL) n = n->parent;
        if (n == top) break;
        n = n->next;
    }
}

static int is_pre(xmlNodePtr n) { return strcasecmp((const char *)n->name, "pre") == 0; }

// Called when the walk leaves element `n` (after its children).
static void leave(xmlNodePtr n, buf *body, int *pre_depth, int *heading_depth) {
    if (is_pre(n)) (*pre_depth)--;
    if (name_in(n->name, headings)) (*heading_depth)--;
    if (name_in(n->name, blocks)) put_break(body, 1);
    else if (name_in(n->name, cells)) put_collapsed(body, " ");
}

// The visible text of the tree under `doc`: body text, the first heading and the link targets.
static void walk(xmlDocPtr doc, buf *body, buf *heading, buf *links) {
    xmlNodePtr top = (xmlNodePtr)doc;
    xmlNodePtr n = doc->children;
    int pre_depth = 0;      // <pre> elements enclosing `n`
    int heading_depth = 0;  // <h1>…<h6> elements enclosing `n`: their text already holds n's
    while (n != NULL) {
        int descend = 0;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content != NULL) {
                if (pre_depth > 0) buf_put(body, (const char *)n->content, strlen((const char *)n->content));
                else put_collapsed(body, (const char *)n->content);
            }
        } else if (n->type == XML_ELEMENT_NODE && n->name != NULL && !name_in(n->name, skipped)) {
            if (strcasecmp((const char *)n->name, "br") == 0) {
                put_break(body, 0);
            } else {
                if (name_in(n->name, headings)) {
                    // Each heading's text is collected once, not again for headings inside it,
                    // so nested headings cost linear time.
                    if (heading->len == 0 && heading_depth == 0) collect_text(n, heading);
                    heading_depth++;
                }
                if (strcasecmp((const char *)n->name, "a") == 0) {
                    xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
                    if (href != NULL) {
                        if (links->len > 0) buf_put(links, "\n", 1);
                        buf_put(links, (const char *)href, strlen((const char *)href));
                        xmlFree(href);
                    }
                }
                if (name_in(n->name, blocks)) put_break(body, 1);
                if (is_pre(n)) pre_depth++;
                if (n->children != NULL) descend = 1;
                else leave(n, body, &pre_depth, &heading_depth);
            }
        }
        // Comments, processing instructions and DTD nodes carry no visible text.
        if (descend) { n = n->children; continue; }
        // Up to the first ancestor with a next sibling, leaving each element on the way.
        while (n != top && n->next == NULL) {
            n = n->parent;
            if (n != top && n->type == XML_ELEMENT_NODE) leave(n, body, &pre_depth, &heading_depth);
        }
        if (n == top) break;
        n = n->next;
    }
}

// The first element named `name` in document order under `top`, or NULL.
static xmlNodePtr find_element(xmlNodePtr top, const char *name) {
    xmlNodePtr n = top->children;
    while (n != NULL) {
        if (n->type == XML_ELEMENT_NODE) {
            if (strcasecmp((const char *)n->name, name) == 0) return n;
            if (n->children != NULL) { n = n->children; continue; }
        }
        while (n != top && n->next == NULL) n = n->parent;
        if (n == top) break;
        n = n->next;
    }
    return NULL;
}

static void trim(buf *b) {
    while (b->len > 0 && (is_space((unsigned char)b->data[b->len - 1]))) b->data[--b->len] = 0;
}

static char *take(buf *b, int32_t *len) {
    trim(b);
    if (b->failed || b->data == NULL) {
        free(b->data);
        *len = 0;
        return calloc(1, 1);
    }
    *len = (int32_t)b->len;
    return b->data;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init_parser(void) { xmlInitParser(); }

int chtml_extract(const char *html, int32_t len, chtml_result *out) {
    pthread_once(&init_once, init_parser);
    buf body = {0}, heading = {0}, title = {0}, links = {0};
    // Fragments (a .txt holding <p>…</p>) get the implied <html><body> around them, as in a browser.
    // XML_PARSE_HUGE (honoured by the HTML parser too): nesting deeper than 256 levels and text nodes over 10 MB are kept.
    int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | XML_PARSE_HUGE;
    htmlDocPtr doc = len > 0 ? htmlReadMemory(html, len, NULL, "UTF-8", options) : NULL;
    int rc = 0;
    if (doc != NULL) {
        xmlNodePtr t = find_element((xmlNodePtr)doc, "title");
        if (t != NULL) collect_text(t, &title);
        walk(doc, &body, &heading, &links);
        xmlFreeDoc(doc);
    } else if (len > 0) {
        rc = -1;
    }
    out->title = take(&title, &out->title_len);
    out->heading = take(&heading, &out->heading_len);
    out->body = take(&body, &out->body_len);
    out->links = take(&links, &out->links_len);
    if (out->title == NULL || out->heading == NULL || out->body == NULL || out->links == NULL) rc = -1;
    return rc;
}

void chtml_result_free(chtml_result *result) {
    if (result == NULL) return;
    free(result->title);
    free(result->heading);
    free(result->body);
    free(result->links);
    result->title = result->heading = result->body = result->links = NULL;
}
