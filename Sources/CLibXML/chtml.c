// chtml.c: walks libxml2's HTML tree and collects the visible text. See chtml.h.
#define _GNU_SOURCE  // memmem
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

// Where collapsed whitespace held a line break (a CSS segment break): CHTML_SEGMENT_BREAK, which
// the caller turns into a space or into nothing between two East Asian wide characters (the
// input never holds it: the extractor removes C0 controls first).
static int is_collapsed(char c) { return c == ' ' || c == CHTML_SEGMENT_BREAK; }

// Appends text with HTML whitespace collapsed: a run of ASCII whitespace becomes one space (or
// CHTML_SEGMENT_BREAK when it holds a line break), and none is put at the start of a line.
static void put_collapsed(buf *b, const char *s) {
    for (const char *p = s; *p; ) {
        if (is_space((unsigned char)*p)) {
            int segment_break = 0;
            while (*p && is_space((unsigned char)*p)) {
                if (*p == '\n' || *p == '\r') segment_break = 1;
                p++;
            }
            char c = segment_break ? CHTML_SEGMENT_BREAK : ' ';
            if (b->len > 0 && b->data[b->len - 1] == ' ' && segment_break) b->data[b->len - 1] = c;
            else if (b->len > 0 && !is_collapsed(b->data[b->len - 1]) && b->data[b->len - 1] != '\n') buf_put(b, &c, 1);
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
    while (b->len > 0 && is_collapsed(b->data[b->len - 1])) b->data[--b->len] = 0;
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
    while (b->len > 0 && (is_space((unsigned char)b->data[b->len - 1]) || b->data[b->len - 1] == CHTML_SEGMENT_BREAK)) b->data[--b->len] = 0;
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


// MARK: Bounding libxml2's work per tag

// libxml2's HTML parser (2.9) does work in proportion to its stack of open elements for each end
// tag that matches none of them (it searches the whole stack), for each <body> and for implied
// elements, and in proportion to the attributes already read for each attribute (the duplicate
// check). 100,000 unclosed elements followed by as many stray end tags take minutes; so does
// one tag with 100,000 attributes. This linear pre-pass reads the markup the way libxml2's
// tokenizer does (tags, quoted attribute values, comments, raw <script> and <style> text) and
// models its stack of open elements; where the document would exceed the bounds below it
// rewrites the markup, dropping only tags (their text stays):
//   - a start tag that would open an element deeper than BOUND_DEPTH;
//   - an end tag that closes nothing open (libxml2 would ignore it after searching the stack);
//   - attributes after the first BOUND_ATTRIBUTES of a tag.
// The model keeps an element open longer than libxml2 may (it knows only a few implied end
// tags), so libxml2's stack stays within the bound. Documents within the bounds pass unchanged.
enum { BOUND_DEPTH = 256, BOUND_ATTRIBUTES = 32, HTML_NAME_CHARS = 100 };

static int is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_name_start(unsigned char c) { return is_letter(c) || c == '_' || c == ':' || c == '.'; }
static int is_name_char(unsigned char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-'; }

// FNV-1a of a name, lower case; names are compared by this hash.
static uint64_t name_hash(const char *p, int32_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z') c += 32;
        h = (h ^ c) * 0x100000001b3ULL;
    }
    return h;
}

static uint64_t hash_of(const char *name) { return name_hash(name, (int32_t)strlen(name)); }

static int hash_in(uint64_t h, const char *const *names) {
    for (; *names; names++) {
        if (hash_of(*names) == h) return 1;
    }
    return 0;
}

static const char *const void_elements[] = {"area", "base", "basefont", "br", "col", "embed", "frame", "hr", "img",
                                            "input", "isindex", "keygen", "link", "meta", "param", "source", "track",
                                            "wbr", NULL};
static const char *const document_elements[] = {"html", "head", "body", NULL};
static const char *const closes_p[] = {"p", "div", "ul", "ol", "dl", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                                       "pre", "blockquote", "form", "hr", NULL};

// The open elements of the model: a stack of name hashes, and how many of each are open
// (open addressing; the stack holds at most BOUND_DEPTH + 1 names).
enum { SLOTS = 2048 };
typedef struct {
    uint64_t stack[BOUND_DEPTH + 2];
    int depth;
    uint64_t keys[SLOTS];
    int counts[SLOTS];
    int used;
} open_elements;

static int *slot_count(open_elements *m, uint64_t h, int create) {
    size_t i = (size_t)(h % SLOTS);
    for (;; i = (i + 1) % SLOTS) {
        if (m->keys[i] == h && h != 0) return &m->counts[i];
        if (m->keys[i] == 0) {
            if (!create) return NULL;
            m->keys[i] = h ? h : 1;
            m->counts[i] = 0;
            m->used++;
            return &m->counts[i];
        }
    }
}

static void model_push(open_elements *m, uint64_t h) {
    if (m->used > SLOTS / 2) {
        // Too many names seen: keep only the open ones.
        memset(m->keys, 0, sizeof m->keys);
        m->used = 0;
        for (int i = 0; i < m->depth; i++) (*slot_count(m, m->stack[i], 1))++;
    }
    m->stack[m->depth++] = h;
    (*slot_count(m, h, 1))++;
}

static uint64_t model_pop(open_elements *m) {
    uint64_t h = m->stack[--m->depth];
    int *c = slot_count(m, h, 0);
    if (c != NULL && *c > 0) (*c)--;
    return h;
}

static int model_open(open_elements *m, uint64_t h) {
    int *c = slot_count(m, h, 0);
    return c != NULL && *c > 0;
}

typedef struct {
    const char *in;
    int32_t copied;  // in[0 ..< copied] has been dealt with
    buf out;
    int changed;
} rewriter;

// Replaces in[from ..< to] with `with` (NULL: nothing).
static void rewrite(rewriter *w, int32_t from, int32_t to, const char *with) {
    buf_put(&w->out, w->in + w->copied, (size_t)(from - w->copied));
    if (with != NULL) buf_put(&w->out, with, strlen(with));
    w->copied = to;
    w->changed = 1;
}

static int32_t skip_blanks(const char *in, int32_t i, int32_t len) {
    while (i < len && is_blank((unsigned char)in[i])) i++;
    return i;
}

static int32_t name_end(const char *in, int32_t i, int32_t len) {
    int32_t end = i;
    while (end < len && end - i < HTML_NAME_CHARS && is_name_char((unsigned char)in[end])) end++;
    return end;
}

// The offset just past `</name` (case-insensitive) at or after `i`, where raw text ends, or len.
static int32_t raw_text_end(const char *in, int32_t i, int32_t len, const char *name, int32_t n) {
    while (i < len) {
        const char *lt = memchr(in + i, '<', (size_t)(len - i));
        if (lt == NULL) return len;
        int32_t at = (int32_t)(lt - in);
        if (at + 1 + n < len && in[at + 1] == '/' && strncasecmp(in + at + 2, name, (size_t)n) == 0) return at;
        i = at + 1;
    }
    return len;
}

// Returns a malloc'd rewrite of `in` within the bounds above (its length in *out_len), or NULL
// when `in` is within them already (or memory ran out: then libxml2 reads it as it is).
static char *bound_markup(const char *in, int32_t len, int32_t *out_len) {
    open_elements *m = calloc(1, sizeof(open_elements));
    if (m == NULL) return NULL;
    rewriter w = {in, 0, {0}, 0};
    uint64_t script = hash_of("script"), style = hash_of("style"), li = hash_of("li"), p_hash = hash_of("p"),
             option = hash_of("option"), td = hash_of("td"), th = hash_of("th"), tr = hash_of("tr"),
             dt = hash_of("dt"), dd = hash_of("dd");
    int32_t i = 0;
    while (i < len) {
        const char *lt = memchr(in + i, '<', (size_t)(len - i));
        if (lt == NULL) break;
        i = (int32_t)(lt - in);
        if (i + 3 < len && in[i + 1] == '!' && in[i + 2] == '-' && in[i + 3] == '-') {
            const char *end = memmem(in + i + 4, (size_t)(len - i - 4), "-->", 3);
            if (end == NULL) break;  // the rest is a comment
            i = (int32_t)(end - in) + 3;
            continue;
        }
        if (i + 2 < len && in[i + 1] == '/' && is_letter((unsigned char)in[i + 2])) {
            int32_t n_end = name_end(in, i + 2, len);
            uint64_t h = name_hash(in + i + 2, n_end - (i + 2));
            const char *gt = memchr(in + n_end, '>', (size_t)(len - n_end));
            int32_t tag_end = gt == NULL ? len : (int32_t)(gt - in) + 1;
            if (!hash_in(h, document_elements)) {
                if (!model_open(m, h)) {
                    rewrite(&w, i, tag_end, NULL);  // closes nothing: libxml2 would search its stack for nothing
                } else {
                    while (m->depth > 0 && model_pop(m) != h) {}
                }
            }
            i = tag_end;
            continue;
        }
        if (i + 1 < len && is_letter((unsigned char)in[i + 1])) {
            int32_t n_end = name_end(in, i + 1, len);
            uint64_t h = name_hash(in + i + 1, n_end - (i + 1));
            int32_t at = n_end, attributes = 0, cut = -1, self_closing = 0, closed = 0;
            while (1) {
                at = skip_blanks(in, at, len);
                if (at >= len) break;
                if (in[at] == '>') { at++; closed = 1; break; }
                if (in[at] == '/' && at + 1 < len && in[at + 1] == '>') { at += 2; closed = self_closing = 1; break; }
                if (is_name_start((unsigned char)in[at])) {
                    at = name_end(in, at, len);
                    int32_t q = skip_blanks(in, at, len);
                    if (q < len && in[q] == '=') {
                        q = skip_blanks(in, q + 1, len);
                        if (q < len && (in[q] == '"' || in[q] == '\'')) {
                            const char *close = memchr(in + q + 1, in[q], (size_t)(len - q - 1));
                            at = close == NULL ? len : (int32_t)(close - in) + 1;
                        } else {
                            at = q;
                            while (at < len && !is_blank((unsigned char)in[at]) && in[at] != '>') at++;
                        }
                    }
                    if (++attributes == BOUND_ATTRIBUTES) cut = at;
                } else {
                    // Not an attribute: libxml2 skips it up to a blank or the end of the tag.
                    do at++;
                    while (at < len && !is_blank((unsigned char)in[at]) && in[at] != '>' &&
                           !(in[at] == '/' && at + 1 < len && in[at + 1] == '>'));
                }
            }
            int32_t tag_end = at;
            int raw = !self_closing && (h == script || h == style);
            int opens = !self_closing && !hash_in(h, document_elements) && !hash_in(h, void_elements);
            if (opens && !raw) {
                // The end tags libxml2 implies before this start tag, where the model is sure of them.
                while (m->depth > 0) {
                    uint64_t top = m->stack[m->depth - 1];
                    int implied = (top == p_hash && hash_in(h, closes_p)) || (top == li && h == li) ||
                                  (top == option && h == option) || ((top == td || top == th) && (h == td || h == th || h == tr)) ||
                                  (top == tr && h == tr) || ((top == dt || top == dd) && (h == dt || h == dd));
                    if (!implied) break;
                    model_pop(m);
                }
            }
            if (opens && !raw && m->depth >= BOUND_DEPTH) {
                rewrite(&w, i, tag_end, NULL);  // too deep: the tag goes, its text stays
                i = tag_end;
                continue;
            }
            if (cut >= 0 && attributes > BOUND_ATTRIBUTES) rewrite(&w, cut, tag_end, !closed ? NULL : self_closing ? "/>" : ">");
            if (opens) model_push(m, h);
            i = raw ? raw_text_end(in, tag_end, len, h == script ? "script" : "style", h == script ? 6 : 5) : tag_end;
            continue;
        }
        i++;  // a '<' that starts no tag is text
    }
    free(m);
    if (!w.changed) {
        free(w.out.data);
        return NULL;
    }
    buf_put(&w.out, in + w.copied, (size_t)(len - w.copied));
    if (w.out.failed) {
        free(w.out.data);
        return NULL;
    }
    *out_len = (int32_t)w.out.len;
    return w.out.data;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init_parser(void) { xmlInitParser(); }

int chtml_extract(const char *html, int32_t len, chtml_result *out) {
    pthread_once(&init_once, init_parser);
    buf body = {0}, heading = {0}, title = {0}, links = {0};
    // Fragments (a .txt holding <p>…</p>) get the implied <html><body> around them, as in a browser.
    // XML_PARSE_HUGE (honoured by the HTML parser too): nesting deeper than 256 levels and text nodes over 10 MB are kept.
    int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | XML_PARSE_HUGE;
    int32_t bounded_len = 0;
    char *bounded = len > 0 ? bound_markup(html, len, &bounded_len) : NULL;
    if (bounded != NULL) {
        html = bounded;
        len = bounded_len;
    }
    htmlDocPtr doc = len > 0 ? htmlReadMemory(html, len, NULL, "UTF-8", options) : NULL;
    free(bounded);
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
