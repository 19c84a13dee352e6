/* searchkit._speedups: the per-token loop of indexing in C (optional).
 *
 * ChunkCodes(codes) serves a token-code table of searchkit.engine.segment (a dict subclass
 * whose __missing__ analyses a whitespace-separated chunk of text and numbers it); `codes`
 * gives that table's code of a chunk key (see chunk_key), the only chunks asked of it.
 * ChunkCodes.encode(text) splits text on whitespace exactly as str.split() does and
 * returns the code of each chunk as native int32 bytes, the same codes as
 *
 *     array("i", map(table.__getitem__, text.split())).tobytes()
 *
 * A chunk met before is found in a hash table of its own (keyed by the chunk's code
 * points), without making a str; a new chunk is made a str and looked up in `codes`
 * (which analyses it when it is new there too), and its code is kept. Codes never change
 * once given, so what is kept stays right for the life of the table. Chunks that differ
 * only in the punctuation around them (and in case, where they are ASCII) share one entry
 * (see chunk_key), so "Flood," and "(flood)" cost no analysis once "flood" has had one.
 *
 * Without this module (no compiler when searchkit was installed, or
 * SEARCHKIT_PURE_PYTHON=1), segment.py runs the Python line above: the segments written
 * are the same, byte for byte (tests/test_speedups.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_buffers.h"

typedef struct {
    uint32_t hash;     /* 0: empty slot */
    int32_t code;
    uint32_t start;    /* where the chunk's code points start in the arena */
    uint32_t length;   /* its code points */
} Entry;

typedef struct {
    PyObject_HEAD
    PyObject *codes;   /* the Python table, asked for new chunks */
    Entry *entries;
    Py_ssize_t capacity; /* a power of two */
    Py_ssize_t used;
    Py_UCS4 *arena;    /* every kept chunk's code points, one after another */
    Py_ssize_t arena_used;
    Py_ssize_t arena_capacity;
} ChunkCodes;

static void
ChunkCodes_dealloc(ChunkCodes *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->codes);
    PyMem_Free(self->entries);
    PyMem_Free(self->arena);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
ChunkCodes_traverse(ChunkCodes *self, visitproc visit, void *arg)
{
    Py_VISIT(self->codes);
    return 0;
}

static int
ChunkCodes_clear(ChunkCodes *self)
{
    Py_CLEAR(self->codes);
    return 0;
}

static int
ChunkCodes_init(ChunkCodes *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"codes", NULL};
    PyObject *codes;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:ChunkCodes", keywords, &codes)) {
        return -1;
    }
    Py_INCREF(codes);
    Py_XSETREF(self->codes, codes);
    PyMem_Free(self->entries);
    PyMem_Free(self->arena);
    self->capacity = 1 << 12;
    self->used = 0;
    self->entries = PyMem_Calloc((size_t)self->capacity, sizeof(Entry));
    self->arena_capacity = 1 << 15;
    self->arena_used = 0;
    self->arena = PyMem_Malloc((size_t)self->arena_capacity * sizeof(Py_UCS4));
    if (self->entries == NULL || self->arena == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int
grow_table(ChunkCodes *self)
{
    Py_ssize_t capacity = self->capacity * 2;
    Entry *entries = PyMem_Calloc((size_t)capacity, sizeof(Entry));
    if (entries == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = (size_t)capacity - 1;
    for (Py_ssize_t i = 0; i < self->capacity; i++) {
        Entry *old = &self->entries[i];
        if (old->hash) {
            size_t slot = (size_t)old->hash & mask;
            while (entries[slot].hash) {
                slot = (slot + 1) & mask;
            }
            entries[slot] = *old;
        }
    }
    PyMem_Free(self->entries);
    self->entries = entries;
    self->capacity = capacity;
    return 0;
}

/* Keep a key (length code points) with its code; it was not in the table. */
static int
keep(ChunkCodes *self, const Py_UCS4 *key, Py_ssize_t length, uint32_t hash, int32_t code)
{
    if ((uint64_t)self->arena_used + (uint64_t)length > UINT32_MAX) {
        return 0;  /* past what an entry can point to: not kept (Python is asked again next time) */
    }
    if (self->arena_used + length > self->arena_capacity) {
        Py_ssize_t capacity = self->arena_capacity;
        while (self->arena_used + length > capacity) {
            capacity *= 2;
        }
        Py_UCS4 *arena = PyMem_Realloc(self->arena, (size_t)capacity * sizeof(Py_UCS4));
        if (arena == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->arena = arena;
        self->arena_capacity = capacity;
    }
    memcpy(self->arena + self->arena_used, key, (size_t)length * sizeof(Py_UCS4));
    if ((self->used + 1) * 2 > self->capacity && grow_table(self) < 0) {
        return -1;
    }
    size_t mask = (size_t)self->capacity - 1;
    size_t slot = (size_t)hash & mask;
    while (self->entries[slot].hash) {
        slot = (slot + 1) & mask;
    }
    Entry *entry = &self->entries[slot];
    entry->hash = hash;
    entry->start = (uint32_t)self->arena_used;
    entry->length = (uint32_t)length;
    entry->code = code;
    self->arena_used += length;
    self->used++;
    return 0;
}

static int
is_word_char(Py_UCS4 ch)
{
    if (ch < 128) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
    }
    return Py_UNICODE_ISALNUM(ch); /* what the re module's \w is: alphanumeric, or "_" */
}

/* The key a chunk (text[start:end]) is looked up by, written to key; returns its length.
 * The same as chunk_key() in searchkit/engine/segment.py:
 *
 * The chunk without the characters before its first word character (\w: a letter, a
 * digit or "_") and after its last one, which no token of the tokenizer starts or ends
 * with, lower-cased where what is left is ASCII (the analysis lower-cases first): so
 * "Flood,", "(flood)", the quoted word and "flood" share one entry and one analysis.
 * A key has the analysis of every chunk that maps to it, so keys can never clash. */
static Py_ssize_t
chunk_key(int kind, const void *data, Py_ssize_t start, Py_ssize_t end, Py_UCS4 *key)
{
    Py_ssize_t first = start, last = end - 1;
    while (first <= last && !is_word_char(PyUnicode_READ(kind, data, first))) {
        first++;
    }
    while (last >= first && !is_word_char(PyUnicode_READ(kind, data, last))) {
        last--;
    }
    int ascii = 1;
    for (Py_ssize_t i = first; i <= last; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        key[i - first] = ch;
        if (ch >= 128) {
            ascii = 0;
        }
    }
    Py_ssize_t length = last - first + 1;
    if (ascii) {
        for (Py_ssize_t i = 0; i < length; i++) {
            if (key[i] >= 'A' && key[i] <= 'Z') {
                key[i] += 'a' - 'A';
            }
        }
    }
    return length;
}

/* The code of a chunk's key (length code points): from the table, else asked of the Python
 * table (which analyses a new chunk) and kept. 0, or -1 on an error. */
static int
chunk_code(ChunkCodes *self, const Py_UCS4 *key, Py_ssize_t length, int32_t *code)
{
    uint64_t wide_hash = 1469598103934665603ULL; /* FNV-1a over the key's code points */
    for (Py_ssize_t k = 0; k < length; k++) {
        wide_hash = (wide_hash ^ key[k]) * 1099511628211ULL;
    }
    uint32_t hash = (uint32_t)(wide_hash ^ (wide_hash >> 32));
    if (hash == 0) {
        hash = 1;
    }
    size_t mask = (size_t)self->capacity - 1;
    for (size_t slot = (size_t)hash & mask;; slot = (slot + 1) & mask) {
        const Entry *entry = &self->entries[slot];
        if (!entry->hash) {
            break;
        }
        if (entry->hash == hash && (Py_ssize_t)entry->length == length &&
            memcmp(self->arena + entry->start, key, (size_t)length * sizeof(Py_UCS4)) == 0) {
            *code = entry->code;
            return 0;
        }
    }
    PyObject *chunk = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, key, length);
    if (chunk == NULL) {
        return -1;
    }
    PyObject *value = PyObject_GetItem(self->codes, chunk);
    Py_DECREF(chunk);
    if (value == NULL) {
        return -1;
    }
    long number = PyLong_AsLong(value);
    Py_DECREF(value);
    if (number == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (number < INT32_MIN || number > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "a token code does not fit in 32 bits");
        return -1;
    }
    *code = (int32_t)number;
    return keep(self, key, length, hash, *code);
}

/* Counts a chunk (text[start:end]) for encode_lead: within the lead, or cut by it. */
static inline void
count_lead(Py_ssize_t start, Py_ssize_t end, Py_ssize_t lead, Py_ssize_t *within, Py_ssize_t *cut)
{
    if (end <= lead) {
        (*within)++;
    }
    else if (start < lead) {
        *cut = start;
    }
}

/* Py_UNICODE_ISSPACE and is_word_char of the code points below 256, filled when the module is
 * imported, and chunk_key for text of such code points (a str of the 1-byte kind). */
static unsigned char latin1_space[256], latin1_word[256];

static Py_ssize_t
latin1_key(const Py_UCS1 *text, Py_ssize_t start, Py_ssize_t end, Py_UCS4 *key)
{
    Py_ssize_t first = start, last = end - 1;
    while (first <= last && !latin1_word[text[first]]) {
        first++;
    }
    while (last >= first && !latin1_word[text[last]]) {
        last--;
    }
    unsigned high = 0;
    for (Py_ssize_t i = first; i <= last; i++) {
        high |= text[i];
    }
    Py_ssize_t length = last - first + 1;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = text[first + i];
        key[i] = high < 128 && ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
    }
    return length;
}

/* The codes of text's chunks as native int32 bytes; with lead >= 0, also how many of them end
 * at or before character lead (*within) and where the chunk that lead cuts starts (*cut, -1
 * when lead falls on white space or past the text). */
static PyObject *
encode_text(ChunkCodes *self, PyObject *text, Py_ssize_t lead, Py_ssize_t *within, Py_ssize_t *cut)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "encode() takes a str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    *within = 0;
    *cut = -1;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
#endif
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    /* At most one chunk per two characters (a chunk and the space after it), plus one. */
    Py_ssize_t room = n / 2 + 1;
    int32_t *out = PyMem_Malloc((size_t)room * sizeof(int32_t));
    Py_UCS4 *key = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_UCS4));
    if (out == NULL || key == NULL) {
        PyMem_Free(out);
        PyMem_Free(key);
        return PyErr_NoMemory();
    }
    Py_ssize_t count = 0;
    Py_ssize_t i = 0;
    if (kind == PyUnicode_1BYTE_KIND) {  /* most text: a loop with tables, without a switch per character */
        const Py_UCS1 *bytes = (const Py_UCS1 *)data;
        while (i < n) {
            if (latin1_space[bytes[i]]) {
                i++;
                continue;
            }
            Py_ssize_t start = i;
            while (++i < n && !latin1_space[bytes[i]]) {
            }
            count_lead(start, i, lead, within, cut);
            if (chunk_code(self, key, latin1_key(bytes, start, i, key), &out[count++]) < 0) {
                goto error;
            }
        }
    }
    else {
        while (i < n) {
            if (Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
                i++;
                continue;
            }
            Py_ssize_t start = i;
            while (++i < n && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            }
            count_lead(start, i, lead, within, cut);
            if (chunk_code(self, key, chunk_key(kind, data, start, i, key), &out[count++]) < 0) {
                goto error;
            }
        }
    }
    PyMem_Free(key);
    PyObject *result = PyBytes_FromStringAndSize((const char *)out, count * (Py_ssize_t)sizeof(int32_t));
    PyMem_Free(out);
    return result;
error:
    PyMem_Free(key);
    PyMem_Free(out);
    return NULL;
}

static PyObject *
ChunkCodes_encode(ChunkCodes *self, PyObject *text)
{
    Py_ssize_t within, cut;
    return encode_text(self, text, -1, &within, &cut);
}

static PyObject *
ChunkCodes_encode_lead(ChunkCodes *self, PyObject *args)
{
    PyObject *text;
    Py_ssize_t lead;
    if (!PyArg_ParseTuple(args, "On:encode_lead", &text, &lead)) {
        return NULL;
    }
    if (lead < 0) {
        PyErr_SetString(PyExc_ValueError, "encode_lead: the lead cannot be negative");
        return NULL;
    }
    Py_ssize_t within, cut;
    PyObject *codes = encode_text(self, text, lead, &within, &cut);
    if (codes == NULL) {
        return NULL;
    }
    return Py_BuildValue("(Nnn)", codes, within, cut);
}

static PyObject *
ChunkCodes_len(ChunkCodes *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(self->used);
}

static PyMethodDef ChunkCodes_methods[] = {
    {"encode", (PyCFunction)ChunkCodes_encode, METH_O,
     "encode(text) -> bytes: the code of each whitespace-separated chunk of text, as native int32."},
    {"encode_lead", (PyCFunction)ChunkCodes_encode_lead, METH_VARARGS,
     "encode_lead(text, lead) -> (bytes, within, cut): encode(text), how many of its chunks end at or before "
     "character lead, and where the chunk lead cuts starts (-1: none)."},
    {"kept", (PyCFunction)ChunkCodes_len, METH_NOARGS, "kept() -> int: how many chunks are kept."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ChunkCodesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "searchkit._speedups.ChunkCodes",
    .tp_doc = "ChunkCodes(codes): the codes of a token-code table's chunks, found in C.",
    .tp_basicsize = sizeof(ChunkCodes),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ChunkCodes_init,
    .tp_dealloc = (destructor)ChunkCodes_dealloc,
    .tp_traverse = (traverseproc)ChunkCodes_traverse,
    .tp_clear = (inquiry)ChunkCodes_clear,
    .tp_methods = ChunkCodes_methods,
};

/* token_spans(text, start, end, limit): the spans of the matches of searchkit.analysis's
 * TOKEN_PATTERN, r"\w+(?:['’‐‑.,-]\w+)*", in text[start:end] (as
 * [m.span() for m in islice(TOKEN_PATTERN.finditer(text, start, end), limit)]; limit < 0:
 * all), for snippets (searchkit/textspans.py holds the Python version). \w is the regular
 * expression engine's word character for str: Py_UNICODE_ISALNUM or '_'. */
/* Clamps [*start, *end) to the text's characters. */
static inline void
clamp_span(PyObject *text, Py_ssize_t *start, Py_ssize_t *end)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (*end > length) {
        *end = length;
    }
    if (*start < 0) {
        *start = 0;
    }
}

/* Appends the tuple (start, end) to list; -1 on an error. */
static int
append_span(PyObject *list, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *span = Py_BuildValue("(nn)", start, end);
    if (span == NULL || PyList_Append(list, span) < 0) {
        Py_XDECREF(span);
        return -1;
    }
    Py_DECREF(span);
    return 0;
}

static inline int
token_word(Py_UCS4 c)
{
    if (c < 128) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    return Py_UNICODE_ISALNUM(c);
}

static inline int
token_joiner(Py_UCS4 c)
{
    return c == '\'' || c == '.' || c == ',' || c == '-' || c == 0x2019 || c == 0x2010 || c == 0x2011;
}

/* The next token of text[*at:end] (kind, data: the text's): 1 with its start in *first and
 * *at moved to its end, or 0 (none left, *at at end). */
static inline int
next_token(int kind, const void *data, Py_ssize_t end, Py_ssize_t *at, Py_ssize_t *first)
{
    Py_ssize_t i = *at;
    while (i < end && !token_word(PyUnicode_READ(kind, data, i))) {
        i++;
    }
    if (i >= end) {
        *at = end;
        return 0;
    }
    *first = i;
    while (i < end && token_word(PyUnicode_READ(kind, data, i))) {
        i++;
    }
    while (i + 1 < end && token_joiner(PyUnicode_READ(kind, data, i)) && token_word(PyUnicode_READ(kind, data, i + 1))) {
        i += 2;
        while (i < end && token_word(PyUnicode_READ(kind, data, i))) {
            i++;
        }
    }
    *at = i;
    return 1;
}

static PyObject *
token_spans(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *text;
    Py_ssize_t start, end, limit;
    if (!PyArg_ParseTuple(args, "Unnn:token_spans", &text, &start, &end, &limit)) {
        return NULL;
    }
    clamp_span(text, &start, &end);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *result = PyList_New(0);
    if (result == NULL) {
        return NULL;
    }
    Py_ssize_t i = start, first;
    while (limit != 0 && next_token(kind, data, end, &i, &first)) {
        if (append_span(result, first, i) < 0) {
            Py_DECREF(result);
            return NULL;
        }
        if (limit > 0) {
            limit--;
        }
    }
    return result;
}

/* sentence_spans(text, lo, hi): the spans of the matches of searchkit.textspans's SENTENCE
 * pattern in text[lo:hi] (as [m.span() for m in SENTENCE.finditer(text, lo, hi)]): from a
 * character other than white space to the first run of .!? that, with the closing quotes or
 * brackets after it, is followed by white space (ending after them), or to a newline
 * (included), or to hi. White space is the regular expression engine's \s for str. */
static inline int
sentence_stop(Py_UCS4 c)
{
    return c == '.' || c == '!' || c == '?';
}

static inline int
sentence_closer(Py_UCS4 c)
{
    return c == '"' || c == 0x201D || c == 0x2019 || c == '\'' || c == ')' || c == ']';
}

static PyObject *
sentence_spans(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *text;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "Unn:sentence_spans", &text, &lo, &hi)) {
        return NULL;
    }
    clamp_span(text, &lo, &hi);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *result = PyList_New(0);
    if (result == NULL) {
        return NULL;
    }
    Py_ssize_t i = lo;
    while (i < hi) {
        if (Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t first = i, end = hi;
        i++;
        for (;;) {
            Py_UCS4 c = 0;
            while (i < hi && !sentence_stop(c = PyUnicode_READ(kind, data, i)) && c != '\n') {
                i++;
            }
            if (i >= hi) {
                end = hi;
                break;
            }
            if (c == '\n') {
                end = i + 1;
                break;
            }
            Py_ssize_t j = i;
            while (j < hi && sentence_stop(PyUnicode_READ(kind, data, j))) {
                j++;
            }
            Py_ssize_t k = j;
            while (k < hi && sentence_closer(PyUnicode_READ(kind, data, k))) {
                k++;
            }
            if (k < hi && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k))) {
                end = k;
                break;
            }
            i = j;
        }
        if (append_span(result, first, end) < 0) {
            Py_DECREF(result);
            return NULL;
        }
        i = end;
    }
    return result;
}

/* A body's token map (searchkit/engine/tokenmap.py, whose Python methods are the reference):
 *
 *   map_raws(doc, wide_off, wide, width, positions) -> list of int | -1
 *       the raw token holding each position (TokenMap.raw_numbers);
 *   map_raw_spans(text, doc, every, mark_off, marks, raws) -> list of (start, end) | -1
 *       the span of each raw token (ascending) of the body text (TokenMap.spans);
 *   map_spans(text, doc, every, mark_off, marks, wide_off, wide, width, singles, firsts, lasts)
 *       -> list of (start, end) | -1
 *       both in one step, for highlights (searchkit.snippets._spans_at): the span of the raw
 *       token holding each of singles (single terms' positions), and from the one holding
 *       firsts[i] to the end of the one holding lasts[i] (a phrase's first and last positions),
 *       sorted, those that overlap or touch joined.
 *
 * A position is a raw token's number plus what the wide tokens before it (wide: their
 * numbers, ascending; width: how many positions each takes) add; a raw token's span is found
 * by running the token pattern from the mark before it (marks: the character offset of raw
 * tokens 0, every, 2 x every, ...). mark_off and wide_off (uint32 or uint64) say where the
 * document's marks and wide tokens lie in marks and wide/width (uint32). -1 when an array has
 * another type or the map does not fit the text: the caller then runs the reference, which
 * says what is wrong. */

/* A buffer of unsigned integers of itemsize 4 (uint32) or, where wide_ok, 8 (uint64); 0 when
 * obj is another kind of array (nothing held), -1 on an error. */
static int
unsigned_view(PyObject *obj, Py_buffer *buffer, int wide_ok)
{
    char found;
    int got = view(obj, buffer, "IL", 4, 0, &found);
    if (got == 0 && wide_ok) {
        got = view(obj, buffer, "LQ", 8, 0, &found);
    }
    return got;
}

static inline uint64_t
unsigned_at(const Py_buffer *buffer, Py_ssize_t at)
{
    return buffer->itemsize == 4 ? ((const uint32_t *)buffer->buf)[at] : ((const uint64_t *)buffer->buf)[at];
}

/* Views of a token map's arrays, taken in order and released together. */
typedef struct {
    Py_buffer views[5];
    int held;
} Views;

/* Takes a view of each of objects[0:n] (offs[i]: an offset column, uint32 or uint64); 1 when all
 * fit, 0 when one has another type, -1 on an error. */
static int
take_views(Views *views, PyObject *const *objects, const int *offs, int n)
{
    views->held = 0;
    for (int i = 0; i < n; i++) {
        int got = unsigned_view(objects[i], &views->views[i], offs[i]);
        if (got <= 0) {
            return got;
        }
        views->held++;
    }
    return 1;
}

static void
release_views(Views *views)
{
    for (int i = 0; i < views->held; i++) {
        PyBuffer_Release(&views->views[i]);
    }
    views->held = 0;
}

/* Where doc's rows lie in a CSR column (offsets: off, rows: a column of `rows` entries); 0 when
 * they do not fit. */
static int
doc_rows(const Py_buffer *off, Py_ssize_t doc, Py_ssize_t rows, uint64_t *lo, uint64_t *hi)
{
    if (doc < 0 || doc + 1 >= off->len / off->itemsize) {
        return 0;
    }
    *lo = unsigned_at(off, doc);
    *hi = unsigned_at(off, doc + 1);
    return *lo <= *hi && *hi <= (uint64_t)rows;
}

/* A document's wide tokens: their raw numbers and widths, the first position of each and the
 * positions gained up to its end (the reference's firsts and gains). */
typedef struct {
    const uint32_t *raw;
    const uint32_t *width;
    int64_t *first;
    int64_t *gained;
    Py_ssize_t count;
} WideTokens;

static int
wide_tokens_of(WideTokens *wide, const Py_buffer *raws, const Py_buffer *widths, uint64_t lo, uint64_t hi)
{
    wide->count = (Py_ssize_t)(hi - lo);
    wide->raw = (const uint32_t *)raws->buf + lo;
    wide->width = (const uint32_t *)widths->buf + lo;
    wide->first = PyMem_Malloc((wide->count ? wide->count : 1) * sizeof(int64_t));
    wide->gained = PyMem_Malloc((wide->count ? wide->count : 1) * sizeof(int64_t));
    if (wide->first == NULL || wide->gained == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int64_t total = 0;
    for (Py_ssize_t w = 0; w < wide->count; w++) {
        wide->first[w] = (int64_t)wide->raw[w] + total;
        total += (int64_t)wide->width[w] - 1;
        wide->gained[w] = total;
    }
    return 0;
}

static void
free_wide_tokens(WideTokens *wide)
{
    PyMem_Free(wide->first);
    PyMem_Free(wide->gained);
}

/* The raw token holding a position. */
static int64_t
raw_of(const WideTokens *wide, int64_t position)
{
    Py_ssize_t lo = 0, hi = wide->count; /* bisect_right: the wide tokens starting at or before it */
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (wide->first[mid] <= position) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Py_ssize_t which = lo - 1;
    if (which < 0) {
        return position;
    }
    if (position < wide->first[which] + (int64_t)wide->width[which]) {
        return wide->raw[which];
    }
    return position - wide->gained[which];
}

/* The ints (none negative) of lists[0:count] one after the other, in a new array (*n of them,
 * to PyMem_Free); NULL with an exception set on an error. */
static int64_t *
read_ints(PyObject *const *lists, int count, Py_ssize_t *n)
{
    *n = 0;
    for (int l = 0; l < count; l++) {
        *n += PyList_GET_SIZE(lists[l]);
    }
    int64_t *out = PyMem_Malloc((*n ? *n : 1) * sizeof(int64_t));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t at = 0;
    for (int l = 0; l < count; l++) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lists[l]); i++) {
            long long value = PyLong_AsLongLong(PyList_GET_ITEM(lists[l], i));
            if (value < 0) {
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_ValueError, "a negative position or raw token number");
                }
                PyMem_Free(out);
                return NULL;
            }
            out[at++] = value;
        }
    }
    return out;
}

typedef struct {
    int64_t raw;        /* the raw token's number */
    Py_ssize_t start;   /* its span, once found */
    Py_ssize_t end;
} RawToken;

static int
compare_raw_pointers(const void *a, const void *b)
{
    int64_t x = (*(const RawToken *const *)a)->raw, y = (*(const RawToken *const *)b)->raw;
    return (x > y) - (x < y);
}

/* Finds the span of each of order[0:n] (sorted by raw number) in the body text: each mark's run
 * of raw tokens read from the mark, as the reference does. 1, or 0 when the map does not fit the
 * text. */
static int
find_spans(PyObject *text, const uint32_t *marks, uint64_t n_marks, Py_ssize_t every, RawToken **order, Py_ssize_t n)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), at = 0, first = 0;
    int64_t next = 0, current = -1; /* the number of the raw token at or after `at`; the mark it was read from */
    for (Py_ssize_t i = 0; i < n; i++) {
        RawToken *token = order[i];
        if (i && token->raw == order[i - 1]->raw) {
            token->start = order[i - 1]->start;
            token->end = order[i - 1]->end;
            continue;
        }
        int64_t mark = token->raw / every;
        if (mark != current) {
            if ((uint64_t)mark >= n_marks || marks[mark] > (uint64_t)length) {
                return 0;
            }
            current = mark;
            next = mark * every;
            at = (Py_ssize_t)marks[mark];
        }
        for (;;) {
            if (!next_token(kind, data, length, &at, &first)) {
                return 0; /* the text has fewer tokens than the map says */
            }
            if (next++ == token->raw) {
                break;
            }
        }
        token->start = first;
        token->end = at;
    }
    return 1;
}

static int
compare_spans(const void *a, const void *b)
{
    const Py_ssize_t *x = a, *y = b;
    if (x[0] != y[0]) {
        return (x[0] > y[0]) - (x[0] < y[0]);
    }
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* map_raws: see the comment above. */
static PyObject *
map_raws(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *objects[3], *positions;
    Py_ssize_t doc;
    if (!PyArg_ParseTuple(args, "nOOOO!:map_raws", &doc, &objects[0], &objects[1], &objects[2], &PyList_Type,
                          &positions)) {
        return NULL;
    }
    static const int offs[3] = {1, 0, 0};
    Views views;
    WideTokens wide = {0};
    PyObject *result = NULL;
    int64_t *values = NULL;
    int got = take_views(&views, objects, offs, 3), unfit = got == 0;
    uint64_t lo, hi;
    if (got <= 0) {
        goto done;
    }
    if (views.views[1].len != views.views[2].len || !doc_rows(&views.views[0], doc, views.views[1].len / 4, &lo, &hi)) {
        unfit = 1;
        goto done;
    }
    Py_ssize_t n;
    values = read_ints(&positions, 1, &n);
    if (values == NULL || wide_tokens_of(&wide, &views.views[1], &views.views[2], lo, hi) < 0) {
        goto done;
    }
    result = PyList_New(n);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyLong_FromLongLong(raw_of(&wide, values[i]));
        if (item == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, item);
    }
done:
    release_views(&views);
    free_wide_tokens(&wide);
    PyMem_Free(values);
    if (result == NULL && unfit && !PyErr_Occurred()) {
        return PyLong_FromLong(-1);
    }
    return result;
}

/* map_raw_spans: see the comment above. */
static PyObject *
map_raw_spans(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *text, *objects[2], *raws;
    Py_ssize_t doc, every;
    if (!PyArg_ParseTuple(args, "UnnOOO!:map_raw_spans", &text, &doc, &every, &objects[0], &objects[1], &PyList_Type,
                          &raws)) {
        return NULL;
    }
    static const int offs[2] = {1, 0};
    Views views;
    PyObject *result = NULL;
    RawToken *tokens = NULL, **order = NULL;
    int64_t *values = NULL;
    int got = take_views(&views, objects, offs, 2), unfit = got == 0;
    uint64_t lo, hi;
    if (got <= 0) {
        goto done;
    }
    if (every <= 0 || !doc_rows(&views.views[0], doc, views.views[1].len / 4, &lo, &hi)) {
        unfit = 1;
        goto done;
    }
    Py_ssize_t n;
    values = read_ints(&raws, 1, &n);
    if (values == NULL) {
        goto done;
    }
    tokens = PyMem_Malloc((n ? n : 1) * sizeof(RawToken));
    order = PyMem_Malloc((n ? n : 1) * sizeof(RawToken *));
    if (tokens == NULL || order == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        tokens[i].raw = values[i];
        order[i] = &tokens[i];
        if (i && values[i] < values[i - 1]) {
            unfit = 1; /* not ascending, as the reference asks */
        }
    }
    if (unfit || !find_spans(text, (const uint32_t *)views.views[1].buf + lo, hi - lo, every, order, n)) {
        unfit = 1;
        goto done;
    }
    result = PyList_New(n);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *span = Py_BuildValue("(nn)", tokens[i].start, tokens[i].end);
        if (span == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, span);
    }
done:
    release_views(&views);
    PyMem_Free(values);
    PyMem_Free(tokens);
    PyMem_Free(order);
    if (result == NULL && unfit && !PyErr_Occurred()) {
        return PyLong_FromLong(-1);
    }
    return result;
}

/* map_spans: see the comment above. */
static PyObject *
map_spans(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *text, *objects[5], *singles, *firsts, *lasts;
    Py_ssize_t doc, every;
    if (!PyArg_ParseTuple(args, "UnnOOOOOO!O!O!:map_spans", &text, &doc, &every, &objects[0], &objects[1],
                          &objects[2], &objects[3], &objects[4], &PyList_Type, &singles, &PyList_Type, &firsts,
                          &PyList_Type, &lasts)) {
        return NULL;
    }
    if (PyList_GET_SIZE(firsts) != PyList_GET_SIZE(lasts)) {
        PyErr_SetString(PyExc_ValueError, "map_spans: firsts and lasts differ in length");
        return NULL;
    }
    static const int offs[5] = {1, 0, 1, 0, 0}; /* mark_off, marks, wide_off, wide, width */
    Views views;
    WideTokens wide = {0};
    PyObject *result = NULL;
    RawToken *tokens = NULL, **order = NULL;
    Py_ssize_t *spans = NULL;
    int64_t *positions = NULL;
    int got = take_views(&views, objects, offs, 5), unfit = got == 0;
    uint64_t mark_lo, mark_hi, wide_lo, wide_hi;
    if (got <= 0) {
        goto done;
    }
    if (every <= 0 || views.views[3].len != views.views[4].len
        || !doc_rows(&views.views[0], doc, views.views[1].len / 4, &mark_lo, &mark_hi)
        || !doc_rows(&views.views[2], doc, views.views[3].len / 4, &wide_lo, &wide_hi)) {
        unfit = 1;
        goto done;
    }
    Py_ssize_t n_singles = PyList_GET_SIZE(singles), n_pairs = PyList_GET_SIZE(firsts), n;
    PyObject *const lists[3] = {singles, firsts, lasts};
    positions = read_ints(lists, 3, &n);
    if (positions == NULL) {
        goto done;
    }
    tokens = PyMem_Malloc((n ? n : 1) * sizeof(RawToken));
    order = PyMem_Malloc((n ? n : 1) * sizeof(RawToken *));
    spans = PyMem_Malloc((n ? n : 1) * 2 * sizeof(Py_ssize_t));
    if (tokens == NULL || order == NULL || spans == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (wide_tokens_of(&wide, &views.views[3], &views.views[4], wide_lo, wide_hi) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        tokens[i].raw = raw_of(&wide, positions[i]);
        order[i] = &tokens[i];
    }
    qsort(order, (size_t)n, sizeof(RawToken *), compare_raw_pointers);
    if (!find_spans(text, (const uint32_t *)views.views[1].buf + mark_lo, mark_hi - mark_lo, every, order, n)) {
        unfit = 1;
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_singles; i++) {
        spans[2 * i] = tokens[i].start;
        spans[2 * i + 1] = tokens[i].end;
    }
    for (Py_ssize_t i = 0; i < n_pairs; i++) {
        spans[2 * (n_singles + i)] = tokens[n_singles + i].start;
        spans[2 * (n_singles + i) + 1] = tokens[n_singles + n_pairs + i].end;
    }
    Py_ssize_t n_spans = n_singles + n_pairs;
    qsort(spans, (size_t)n_spans, 2 * sizeof(Py_ssize_t), compare_spans);
    result = PyList_New(0);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_spans;) {
        Py_ssize_t start = spans[2 * i], end = spans[2 * i + 1];
        for (i++; i < n_spans && spans[2 * i] <= end; i++) {
            if (spans[2 * i + 1] > end) {
                end = spans[2 * i + 1];
            }
        }
        if (append_span(result, start, end) < 0) {
            Py_CLEAR(result);
            goto done;
        }
    }
done:
    release_views(&views);
    free_wide_tokens(&wide);
    PyMem_Free(tokens);
    PyMem_Free(order);
    PyMem_Free(spans);
    PyMem_Free(positions);
    if (result == NULL && unfit && !PyErr_Occurred()) {
        return PyLong_FromLong(-1);
    }
    return result;
}

/* hash_strings(data, offsets) -> bytes: the 64-bit FNV-1a hash of each string of a string table
 * (data: its UTF-8 bytes, offsets: int64, one more than there are strings), as native int64
 * bytes; searchkit/engine/idhash.py has the numpy version (the reference) and the callers. */
static PyObject *
hash_strings(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer data, offsets;
    if (!PyArg_ParseTuple(args, "y*y*:hash_strings", &data, &offsets)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (offsets.len % 8 != 0 || offsets.len < 8) {
        PyErr_SetString(PyExc_ValueError, "hash_strings: offsets must be int64, one more than the strings");
        goto done;
    }
    Py_ssize_t count = offsets.len / 8 - 1;
    const int64_t *bounds = (const int64_t *)offsets.buf;
    const unsigned char *bytes = (const unsigned char *)data.buf;
    result = PyBytes_FromStringAndSize(NULL, count * 8);
    if (result == NULL) {
        goto done;
    }
    uint64_t *out = (uint64_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t lo = bounds[i], hi = bounds[i + 1];
        if (lo < 0 || hi < lo || hi > data.len) {
            Py_CLEAR(result);
            PyErr_Format(PyExc_ValueError, "hash_strings: string %zd lies outside the data", i);
            goto done;
        }
        uint64_t h = 14695981039346656037ULL;
        for (int64_t j = lo; j < hi; j++) {
            h = (h ^ bytes[j]) * 1099511628211ULL;
        }
        out[i] = h;
    }
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    return result;
}

/* analyze_chunk(chunk, stop_words, stem) -> the analysis of an ASCII whitespace-separated chunk
 * as searchkit/engine/segment.py's _analyze_chunk gives it (the reference, with
 * searchkit/analysis.py's _analyze): a term ("" for a stop word), or (width, entries), each
 * entry (term, offset, counted); None for a chunk that is not ASCII (the Python version then
 * analyses it). stop_words: a set of str; stem: the stemmer's stemWord. The rules, for ASCII:
 * tokens are runs of word characters ([A-Za-z0-9_]) joined across one of ' . , -; a token is
 * lower-cased and loses its '_'; one holding '.' or ',' is a number (its ',' dropped), an
 * acronym (its '.' dropped, stemmed) or pieces split on runs of '.' and ',' (each analysed
 * again, one position each); otherwise a final "'s" and every "'" go, and a word with '-' is
 * its pieces (split on runs of '-') and, for two or more, their joined term. A term is ""
 * for a stop word, itself when it starts with a digit, else its stem. */

typedef struct {
    PyObject *stop_words;
    PyObject *stem;
    PyObject *entries;  /* list of (term, offset, counted) */
    Py_ssize_t offset;
} ChunkAnalysis;

static inline int
ascii_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (c >= 'A' && c <= 'Z');
}

static inline int
ascii_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int
ascii_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The term of a word (its characters w[0:n]): "" for none or a stop word, the word when it
 * starts with a digit, else its stem. A new reference, or NULL on an error. */
static PyObject *
chunk_term(ChunkAnalysis *a, const char *w, Py_ssize_t n)
{
    if (n == 0) {
        return PyUnicode_FromStringAndSize("", 0);
    }
    PyObject *word = PyUnicode_FromStringAndSize(w, n);
    if (word == NULL) {
        return NULL;
    }
    int stop = PySet_Contains(a->stop_words, word);
    if (stop < 0) {
        Py_DECREF(word);
        return NULL;
    }
    if (stop) {
        Py_DECREF(word);
        return PyUnicode_FromStringAndSize("", 0);
    }
    if (ascii_digit(w[0])) {
        return word;
    }
    PyObject *stem = PyObject_CallOneArg(a->stem, word);
    Py_DECREF(word);
    if (stem != NULL && !PyUnicode_Check(stem)) {
        Py_DECREF(stem);
        PyErr_SetString(PyExc_TypeError, "analyze_chunk: stem() must return a str");
        return NULL;
    }
    return stem;
}

/* Where a run of digits from w[i] ends. */
static inline Py_ssize_t
digits_end(const char *w, Py_ssize_t n, Py_ssize_t i)
{
    while (i < n && ascii_digit(w[i])) {
        i++;
    }
    return i;
}

/* Whether w[i:n] is an optional decimal part (\.\d+)? then letters, to the end. */
static int
number_tail(const char *w, Py_ssize_t n, Py_ssize_t i)
{
    if (i + 1 < n && w[i] == '.' && ascii_digit(w[i + 1])) {
        i = digits_end(w, n, i + 1);
    }
    while (i < n && ascii_letter(w[i])) {
        i++;
    }
    return i == n;
}

/* \d{1,3}(?:,\d{3})+(?:\.\d+)?[^\W\d_]*|\d+(?:\.\d+)+[^\W\d_]* matching all of w[0:n]: no
 * backtracking changes these answers (a group is a comma and exactly three digits; what
 * follows the groups must be a decimal part, letters or the end, none of which starts with a
 * comma or, after a decimal part's digits, a digit). */
static int
number_fullmatch(const char *w, Py_ssize_t n)
{
    Py_ssize_t lead = digits_end(w, n, 0);
    if (lead == 0) {
        return 0;
    }
    if (lead <= 3) {  /* thousands: 7,400 or 1,234,567.89 (then letters: 3,000bn) */
        Py_ssize_t i = lead;
        int groups = 0;
        while (i + 3 < n && w[i] == ',' && digits_end(w, n, i + 1) == i + 4) {
            i += 4;
            groups++;
        }
        if (groups > 0 && number_tail(w, n, i)) {
            return 1;
        }
    }
    /* decimals and dotted numbers: 1.5, 12.30.4 (then letters: 1.5bn) */
    Py_ssize_t i = lead;
    int dotted = 0;
    while (i + 1 < n && w[i] == '.' && ascii_digit(w[i + 1])) {
        i = digits_end(w, n, i + 1);
        dotted++;
    }
    while (dotted && i < n && ascii_letter(w[i])) {
        i++;
    }
    return dotted && i == n;
}

/* (?:[^\W\d_]\.)+[^\W\d_] matching all of w[0:n]. */
static int
acronym_fullmatch(const char *w, Py_ssize_t n)
{
    if (n < 3 || n % 2 == 0) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i % 2 == 0 ? !ascii_letter(w[i]) : w[i] != '.') {
            return 0;
        }
    }
    return 1;
}

/* Copies w[0:n] without the character drop to out; returns the length copied. */
static Py_ssize_t
copy_without(const char *w, Py_ssize_t n, char drop, char *out)
{
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (w[i] != drop) {
            out[m++] = w[i];
        }
    }
    return m;
}

/* The next piece of w[0:n] between runs of '-' from *i: its start, with *i moved to its end
 * (empty at the end of w). */
static inline Py_ssize_t
next_piece(const char *w, Py_ssize_t n, Py_ssize_t *i)
{
    while (*i < n && w[*i] == '-') {
        (*i)++;
    }
    Py_ssize_t start = *i;
    while (*i < n && w[*i] != '-') {
        (*i)++;
    }
    return start;
}

/* Appends (term, offset, counted) to the entries unless term is "" (steals term). */
static int
chunk_entry(ChunkAnalysis *a, PyObject *term, Py_ssize_t offset, int counted)
{
    if (term == NULL) {
        return -1;
    }
    if (PyUnicode_GET_LENGTH(term) == 0) {
        Py_DECREF(term);
        return 0;
    }
    PyObject *entry = Py_BuildValue("(NnO)", term, offset, counted ? Py_True : Py_False);
    if (entry == NULL) {
        return -1;
    }
    int failed = PyList_Append(a->entries, entry);
    Py_DECREF(entry);
    return failed;
}

/* The analysis of a normalized word w[0:n] (lower-case, no '_'), as _analyze gives it: a term
 * (*single set, a new reference) or parts appended to parts (a list) with *joined set (a new
 * reference, "" when none). Returns -1 on an error. */
static int
analyze_word(ChunkAnalysis *a, const char *w, Py_ssize_t n, PyObject **single, PyObject *parts, PyObject **joined)
{
    *single = NULL;
    *joined = NULL;
    int separated = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (w[i] == '.' || w[i] == ',') {
            separated = 1;
            break;
        }
    }
    char *buffer = PyMem_Malloc((size_t)n + 1);
    if (buffer == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int result = -1;
    if (separated) {
        if (number_fullmatch(w, n)) {  /* its commas dropped, not stemmed */
            *single = PyUnicode_FromStringAndSize(buffer, copy_without(w, n, ',', buffer));
            result = *single == NULL ? -1 : 0;
            goto done;
        }
        if (acronym_fullmatch(w, n)) {  /* its dots dropped */
            *single = chunk_term(a, buffer, copy_without(w, n, '.', buffer));
            result = *single == NULL ? -1 : 0;
            goto done;
        }
        /* the pieces between runs of '.' and ',' (as re.split gives them: an empty one at an
         * end), each analysed again; a piece's term, or a compound piece's parts, are parts */
        Py_ssize_t i = 0;
        for (;;) {
            Py_ssize_t start = i;
            while (i < n && w[i] != '.' && w[i] != ',') {
                i++;
            }
            PyObject *piece_single = NULL, *piece_joined = NULL;
            if (i == start) {
                piece_single = PyUnicode_FromStringAndSize("", 0);
            }
            else if (analyze_word(a, w + start, i - start, &piece_single, parts, &piece_joined) < 0) {
                goto done;
            }
            Py_XDECREF(piece_joined);
            if (i == start && piece_single == NULL) {
                goto done;
            }
            if (piece_single != NULL) {
                int failed = PyList_Append(parts, piece_single);
                Py_DECREF(piece_single);
                if (failed < 0) {
                    goto done;
                }
            }
            if (i == n) {
                break;
            }
            while (i < n && (w[i] == '.' || w[i] == ',')) {
                i++;
            }
        }
        *joined = PyUnicode_FromStringAndSize("", 0);
        result = *joined == NULL ? -1 : 0;
        goto done;
    }
    /* a final "'s" goes, then every apostrophe */
    Py_ssize_t end = n;
    if (n >= 2 && w[n - 2] == '\'' && (w[n - 1] == 's' || w[n - 1] == 'S')) {
        end = n - 2;
    }
    Py_ssize_t m = 0;
    int hyphens = 0;
    for (Py_ssize_t i = 0; i < end; i++) {
        if (w[i] != '\'') {
            buffer[m++] = w[i];
            hyphens |= w[i] == '-';
        }
    }
    if (!hyphens) {
        *single = chunk_term(a, buffer, m);
        result = *single == NULL ? -1 : 0;
        goto done;
    }
    /* the pieces between runs of '-' (empty ones left out): one is the word; two or more are
     * parts, and their joined text a term too (none: no part, and "" joined) */
    Py_ssize_t pieces = 0, first = 0, first_end = 0;
    for (Py_ssize_t i = 0; i < m;) {
        Py_ssize_t start = next_piece(buffer, m, &i);
        if (i > start && pieces++ == 0) {
            first = start;
            first_end = i;
        }
    }
    if (pieces == 1) {
        *single = chunk_term(a, buffer + first, first_end - first);
        result = *single == NULL ? -1 : 0;
        goto done;
    }
    for (Py_ssize_t i = 0; i < m;) {
        Py_ssize_t start = next_piece(buffer, m, &i);
        if (i > start) {
            PyObject *term = chunk_term(a, buffer + start, i - start);
            int failed = term == NULL || PyList_Append(parts, term) < 0;
            Py_XDECREF(term);
            if (failed) {
                goto done;
            }
        }
    }
    char *joined_text = PyMem_Malloc((size_t)m + 1);
    if (joined_text == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    *joined = chunk_term(a, joined_text, copy_without(buffer, m, '-', joined_text));
    PyMem_Free(joined_text);
    result = *joined == NULL ? -1 : 0;
done:
    PyMem_Free(buffer);
    return result;
}

static PyObject *
analyze_chunk(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *chunk;
    ChunkAnalysis a;
    if (!PyArg_ParseTuple(args, "UOO:analyze_chunk", &chunk, &a.stop_words, &a.stem)) {
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(chunk)) {
        Py_RETURN_NONE;
    }
    const char *text = (const char *)PyUnicode_DATA(chunk);
    Py_ssize_t n = PyUnicode_GET_LENGTH(chunk);
    char *word = PyMem_Malloc((size_t)n + 1);
    a.entries = PyList_New(0);
    a.offset = 0;
    PyObject *result = NULL, *parts = PyList_New(0);
    if (word == NULL || a.entries == NULL || parts == NULL) {
        if (word == NULL) {
            PyErr_NoMemory();
        }
        goto done;
    }
    Py_ssize_t tokens = 0, i = 0;
    while (i < n) {
        if (!ascii_word(text[i])) {
            i++;
            continue;
        }
        /* a token: word characters, joined across single joiners */
        Py_ssize_t start = i;
        while (i < n && ascii_word(text[i])) {
            i++;
        }
        while (i + 1 < n && (text[i] == '\'' || text[i] == '.' || text[i] == ',' || text[i] == '-')
               && ascii_word(text[i + 1])) {
            i += 2;
            while (i < n && ascii_word(text[i])) {
                i++;
            }
        }
        tokens++;
        /* normalized: lower-case, without '_' */
        Py_ssize_t m = 0;
        for (Py_ssize_t k = start; k < i; k++) {
            char c = text[k];
            if (c == '_') {
                continue;
            }
            word[m++] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
        }
        PyObject *single, *joined;
        if (PyList_SetSlice(parts, 0, PyList_GET_SIZE(parts), NULL) < 0
            || analyze_word(&a, word, m, &single, parts, &joined) < 0) {
            goto done;
        }
        if (single != NULL) {
            /* one term: the whole analysis when the chunk is this one token */
            int last = 1;
            for (Py_ssize_t k = i; k < n; k++) {
                if (ascii_word(text[k])) {
                    last = 0;
                    break;
                }
            }
            if (tokens == 1 && last) {
                result = single;
                goto done;
            }
            if (chunk_entry(&a, single, a.offset, 1) < 0) {
                goto done;
            }
            a.offset++;
            continue;
        }
        int failed = chunk_entry(&a, joined, a.offset, 0);
        if (failed < 0) {
            goto done;
        }
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(parts); k++) {
            PyObject *part = PyList_GET_ITEM(parts, k);
            Py_INCREF(part);
            if (chunk_entry(&a, part, a.offset, 1) < 0) {
                goto done;
            }
            a.offset++;
        }
    }
    {
        PyObject *entries = PyList_AsTuple(a.entries);
        if (entries != NULL) {
            result = Py_BuildValue("(nN)", a.offset, entries);
        }
    }
done:
    PyMem_Free(word);
    Py_XDECREF(a.entries);
    Py_XDECREF(parts);
    return result;
}

/* fingerprint_slots(hashes, docs, doc_count) -> (slots, counts): the near-duplicate
 * fingerprints of documents from their terms in reading order (searchkit/engine/fingerprint.py:
 * signatures, whose numpy version is the reference). hashes: each term's 64-bit hash (uint64),
 * docs: its document (int64, ascending, below doc_count). A shingle is three terms running in
 * one document (a document of one or two terms is one shingle); mixed by SplitMix64's
 * finalizer, its top 7 bits pick one of 128 slots and its low 16 bits are kept where they are
 * the slot's minimum. Empty slots are then filled from the next filled one to their right
 * (circularly), rotated by the distance. slots: uint16, doc_count x 128; counts: each
 * document's shingles, uint32. */
#define FP_SLOTS 128
#define FP_EMPTY 65536u
#define FP_ROTATE 0x9E37u

static inline uint64_t
fp_mix(uint64_t v)
{
    v ^= v >> 30;
    v *= 0xBF58476D1CE4E5B9ULL;
    v ^= v >> 27;
    v *= 0x94D049BB133111EBULL;
    return v ^ (v >> 31);
}

static inline void
fp_add(uint32_t *slots, uint32_t *counts, int64_t doc, uint64_t value)
{
    value = fp_mix(value);
    uint32_t *slot = &slots[doc * FP_SLOTS + (Py_ssize_t)(value >> 57)];
    uint32_t low = (uint32_t)(value & 0xFFFFu);
    if (low < *slot) {
        *slot = low;
    }
    counts[doc]++;
}

static PyObject *
fingerprint_slots(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer hashes, docs;
    Py_ssize_t doc_count;
    if (!PyArg_ParseTuple(args, "y*y*n:fingerprint_slots", &hashes, &docs, &doc_count)) {
        return NULL;
    }
    PyObject *result = NULL, *slots_out = NULL, *counts_out = NULL;
    uint32_t *slots = NULL;
    int64_t *per_doc = NULL;
    if (hashes.len % 8 != 0 || docs.len != hashes.len || doc_count < 0) {
        PyErr_SetString(PyExc_ValueError, "fingerprint_slots: hashes (uint64) and docs (int64) must be as long");
        goto done;
    }
    const Py_ssize_t n = hashes.len / 8;
    const uint64_t *h = (const uint64_t *)hashes.buf;
    const int64_t *d = (const int64_t *)docs.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (d[i] < 0 || d[i] >= doc_count || (i > 0 && d[i] < d[i - 1])) {
            PyErr_Format(PyExc_ValueError, "fingerprint_slots: term %zd's document is not in ascending order "
                         "below %zd", i, doc_count);
            goto done;
        }
    }
    slots = PyMem_Malloc((size_t)(doc_count ? doc_count : 1) * FP_SLOTS * sizeof(uint32_t));
    per_doc = PyMem_Calloc((size_t)(doc_count ? doc_count : 1), sizeof(int64_t));
    counts_out = PyBytes_FromStringAndSize(NULL, doc_count * (Py_ssize_t)sizeof(uint32_t));
    slots_out = PyBytes_FromStringAndSize(NULL, doc_count * FP_SLOTS * (Py_ssize_t)sizeof(uint16_t));
    if (slots == NULL || per_doc == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (counts_out == NULL || slots_out == NULL) {
        goto done;
    }
    uint32_t *counts = (uint32_t *)PyBytes_AS_STRING(counts_out);
    memset(counts, 0, (size_t)doc_count * sizeof(uint32_t));
    for (Py_ssize_t i = 0; i < doc_count * FP_SLOTS; i++) {
        slots[i] = FP_EMPTY;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        per_doc[d[i]]++;
    }
    for (Py_ssize_t i = 0; i + 2 < n; i++) {
        if (d[i + 2] == d[i]) {  /* a shingle inside one document */
            fp_add(slots, counts, d[i], h[i] * 0x9E3779B97F4A7C15ULL + h[i + 1] * 0xC2B2AE3D27D4EB4FULL + h[i + 2]);
        }
    }
    Py_ssize_t first = 0;
    for (Py_ssize_t doc = 0; doc < doc_count; doc++) {
        int64_t terms = per_doc[doc];
        if (terms > 0 && terms < 3) {  /* a text of one or two terms is one shingle */
            uint64_t second = terms > 1 ? h[first + 1] : 0;
            fp_add(slots, counts, doc, h[first] * 0x9E3779B97F4A7C15ULL + second * 0xC2B2AE3D27D4EB4FULL);
        }
        first += terms;
    }
    uint16_t *out = (uint16_t *)PyBytes_AS_STRING(slots_out);
    for (Py_ssize_t doc = 0; doc < doc_count; doc++) {
        const uint32_t *row = &slots[doc * FP_SLOTS];
        uint16_t *dense = &out[doc * FP_SLOTS];
        /* From the right: the nearest filled column at or after each one; past the last, the
         * row's first filled column one turn on (2 x SLOTS + SLOTS for a row with none). */
        int first_filled = 2 * FP_SLOTS;
        for (int c = 0; c < FP_SLOTS; c++) {
            if (row[c] != FP_EMPTY) {
                first_filled = c;
                break;
            }
        }
        int nearest = first_filled + FP_SLOTS;
        for (int c = FP_SLOTS - 1; c >= 0; c--) {
            if (row[c] != FP_EMPTY) {
                nearest = c;
                dense[c] = (uint16_t)row[c];
                continue;
            }
            uint32_t source = row[nearest % FP_SLOTS];
            dense[c] = (uint16_t)((source + (uint32_t)(nearest - c) * FP_ROTATE) & 0xFFFFu);
        }
    }
    result = PyTuple_Pack(2, slots_out, counts_out);
done:
    Py_XDECREF(slots_out);
    Py_XDECREF(counts_out);
    PyMem_Free(slots);
    PyMem_Free(per_doc);
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&docs);
    return result;
}

/* token_bounds(text) -> (starts, ends, suspects): the raw tokens of a token map
 * (searchkit/engine/tokenmap.py: token_map, whose numpy version is the reference). A token
 * is a run of word characters (\w as Python's re has it: alphanumeric or '_'), joined to the
 * run before it across one joiner character ('.,-’‐‑ and the apostrophe); starts and ends
 * are its character offsets, suspects the tokens holding a '.', ',', '-' or a character
 * beyond ASCII (which may take other than one position). Each is native int64 bytes. */
/* 1: a word character, 2: a joiner, 0: neither (the classes of token_spans' pattern) */
static inline int
token_class(Py_UCS4 c)
{
    return token_word(c) ? 1 : token_joiner(c) ? 2 : 0;
}

static int
grow(int64_t **buffer, Py_ssize_t *size, Py_ssize_t used)
{
    if (used < *size) {
        return 0;
    }
    Py_ssize_t more = *size ? *size * 2 : 1024;
    int64_t *bigger = PyMem_Realloc(*buffer, (size_t)more * sizeof(int64_t));
    if (bigger == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *buffer = bigger;
    *size = more;
    return 0;
}

/* token_class() of each code point below 256, filled when the module is imported. */
static unsigned char latin1_class[256];

/* The raw tokens of TYPE code points s[0:n] into the buffers of token_bounds (a macro, so
 * each string kind has its own loop without a switch per character). The classes of
 * characters i-2, i-1, i and i+1 roll along (0 outside the text). */
#define TOKEN_BOUNDS_LOOP(TYPE)                                                              \
    do {                                                                                     \
        const TYPE *s = (const TYPE *)data;                                                  \
        int before2 = 0, before1 = 0;                                                        \
        int now = n > 0 ? CLASS_OF(s[0]) : 0;                                                \
        for (Py_ssize_t i = 0; i <= n; i++) {                                                \
            int next = i + 1 < n ? CLASS_OF(s[i + 1]) : 0;                                   \
            if (now == 0 && before1 == 0) { /* between tokens */                             \
                before2 = 0;                                                                 \
                now = next;                                                                  \
                continue;                                                                    \
            }                                                                                \
            Py_UCS4 c = i < n ? (Py_UCS4)s[i] : 0;                                           \
            if (now == 1 && before1 != 1 && !(before1 == 2 && before2 == 1)) {               \
                /* a run of word characters starts, not joined to the token before */       \
                if (grow(&starts, &starts_size, n_starts) < 0) {                             \
                    goto done;                                                               \
                }                                                                            \
                starts[n_starts++] = i;                                                      \
                in_token = 1;                                                                \
                split_in_token = 0;                                                          \
            }                                                                                \
            if (now != 1 && before1 == 1 && !(now == 2 && next == 1)) {                      \
                /* a run of word characters ends, not joined to the run after */             \
                if (grow(&ends, &ends_size, n_ends) < 0) {                                   \
                    goto done;                                                               \
                }                                                                            \
                ends[n_ends++] = i;                                                          \
                if (in_token && split_in_token) {                                            \
                    if (grow(&suspects, &suspects_size, n_suspects) < 0) {                   \
                        goto done;                                                           \
                    }                                                                        \
                    suspects[n_suspects++] = n_starts - 1;                                   \
                }                                                                            \
                in_token = 0;                                                                \
                split_in_token = 0;                                                          \
            }                                                                                \
            if (in_token && i < n && (c == '.' || c == ',' || c == '-' || c >= 128)) {       \
                split_in_token = 1;                                                          \
            }                                                                                \
            before2 = before1;                                                               \
            before1 = now;                                                                   \
            now = next;                                                                      \
        }                                                                                    \
    } while (0)

#define CLASS_OF(c) ((c) < 256 ? latin1_class[(c)] : token_class((Py_UCS4)(c)))

static PyObject *
token_bounds(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:token_bounds", &text)) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int64_t *starts = NULL, *ends = NULL, *suspects = NULL;
    Py_ssize_t starts_size = 0, ends_size = 0, suspects_size = 0, n_starts = 0, n_ends = 0, n_suspects = 0;
    PyObject *result = NULL;
    int split_in_token = 0;  /* the current token holds a character that may split it */
    int in_token = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        TOKEN_BOUNDS_LOOP(Py_UCS1);
    }
    else if (kind == PyUnicode_2BYTE_KIND) {
        TOKEN_BOUNDS_LOOP(Py_UCS2);
    }
    else {
        TOKEN_BOUNDS_LOOP(Py_UCS4);
    }
    if (n_starts != n_ends) {
        PyErr_SetString(PyExc_RuntimeError, "token_bounds: starts and ends differ in number");
        goto done;
    }
    /* (an empty buffer was never allocated: "y#" of NULL would give None) */
    result = Py_BuildValue("(y#y#y#)", starts ? (const char *)starts : "", n_starts * (Py_ssize_t)sizeof(int64_t),
                           ends ? (const char *)ends : "", n_ends * (Py_ssize_t)sizeof(int64_t),
                           suspects ? (const char *)suspects : "", n_suspects * (Py_ssize_t)sizeof(int64_t));
done:
    PyMem_Free(starts);
    PyMem_Free(ends);
    PyMem_Free(suspects);
    return result;
}

#undef CLASS_OF
#undef TOKEN_BOUNDS_LOOP

static PyMethodDef speedups_functions[] = {
    {"token_bounds", token_bounds, METH_VARARGS,
     "token_bounds(text) -> (starts, ends, suspects): a token map's raw tokens as native int64 bytes "
     "(searchkit/engine/tokenmap.py)."},
    {"analyze_chunk", analyze_chunk, METH_VARARGS,
     "analyze_chunk(chunk, stop_words, stem) -> str | (width, entries) | None: an ASCII chunk's analysis "
     "(searchkit/engine/segment.py); None for a chunk that is not ASCII."},
    {"fingerprint_slots", fingerprint_slots, METH_VARARGS,
     "fingerprint_slots(hashes, docs, doc_count) -> (slots, counts): documents' near-duplicate fingerprints as "
     "uint16 and uint32 bytes (searchkit/engine/fingerprint.py)."},
    {"hash_strings", hash_strings, METH_VARARGS,
     "hash_strings(data, offsets) -> bytes: each string's 64-bit FNV-1a hash as native int64 (searchkit/engine/idhash.py)."},
    {"token_spans", token_spans, METH_VARARGS,
     "token_spans(text, start, end, limit) -> list of (start, end): TOKEN_PATTERN's matches in text[start:end], "
     "at most limit of them (limit < 0: all)."},
    {"map_raws", map_raws, METH_VARARGS,
     "map_raws(doc, wide_off, wide, width, positions) -> list of int | -1: the raw token holding each position of a "
     "body (searchkit/engine/tokenmap.py)."},
    {"map_raw_spans", map_raw_spans, METH_VARARGS,
     "map_raw_spans(text, doc, every, mark_off, marks, raws) -> list of (start, end) | -1: the spans of a body's raw "
     "tokens (searchkit/engine/tokenmap.py)."},
    {"map_spans", map_spans, METH_VARARGS,
     "map_spans(text, doc, every, mark_off, marks, wide_off, wide, width, singles, firsts, lasts) -> list of (start, end) "
     "| -1: a body's highlight spans from its token map (searchkit/engine/tokenmap.py)."},
    {"sentence_spans", sentence_spans, METH_VARARGS,
     "sentence_spans(text, lo, hi) -> list of (start, end): the sentences of text[lo:hi] (searchkit/textspans.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "searchkit._speedups",
    .m_doc = "The per-token loop of indexing and the token and sentence spans of snippets in C (optional; see searchkit/engine/segment.py "
             "and searchkit/textspans.py).",
    .m_size = -1,
    .m_methods = speedups_functions,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (Py_UCS4 c = 0; c < 256; c++) {
        latin1_class[c] = (unsigned char)token_class(c);
        latin1_space[c] = (unsigned char)Py_UNICODE_ISSPACE(c);
        latin1_word[c] = (unsigned char)is_word_char(c);
    }
    if (PyType_Ready(&ChunkCodesType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&ChunkCodesType);
    if (PyModule_AddObject(module, "ChunkCodes", (PyObject *)&ChunkCodesType) < 0) {
        Py_DECREF(&ChunkCodesType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
