// libxml2 through pkg-config (libxml-2.0): its include path and library come from there.
// Only CLibXML uses it; no libxml2 type reaches Swift.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
