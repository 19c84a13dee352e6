/* searchkit/_centroid.h: a story's centroid for searchkit/_storykernel.c (included there, once).
 *
 * A Centroid maps term numbers to summed weights in the order the terms came, as the dict it
 * replaces did (StoryClusterer.remove sums the squares in that order): a term set again keeps
 * its place; a term popped and set again goes last. It holds its entries in two arrays (int32
 * terms, float64 weights: 12 bytes an entry) and finds them through an open-addressing table
 * of their places (int32, at most three quarters full). A dict of Python floats took about
 * 100 bytes an entry: 90 MB for the centroids of a million articles of the scaled benchmark
 * corpus, where almost every story has one article, and many times that for real news, whose
 * stories are bigger (issue 16). A popped entry stays as a hole (term -1, still in the table,
 * so the probes past it go on) until the arrays are compacted.
 *
 * Python code reads and writes one through the dict methods stories.py uses: get, [],
 * pop, values, keys, items, update, len, in and iteration (its terms, in order).
 */

typedef struct {
    PyObject_HEAD
    double *weights;  /* cap entries, then the terms in the same block */
    int32_t *terms;   /* -1: a popped entry's hole */
    int32_t *slots;   /* an entry's place + 1, or 0 for an empty slot; slot_mask + 1 of them */
    Py_ssize_t used;  /* entries written (holes included) */
    Py_ssize_t live;  /* entries that are not holes */
    Py_ssize_t cap;
    Py_ssize_t slot_mask;
} Centroid;

static PyTypeObject CentroidType;

#define CENTROID_MAX_TERM 0x7fffffffLL

static inline Py_ssize_t
centroid_first_slot(const Centroid *c, int32_t term)
{
    uint32_t h = (uint32_t)term * 2654435761u;
    return (Py_ssize_t)((h ^ (h >> 15)) & (uint32_t)c->slot_mask);
}

/* The place of `term`'s entry, or -1. */
static Py_ssize_t
centroid_find(const Centroid *c, int32_t term)
{
    if (c->slots == NULL) {
        return -1;
    }
    for (Py_ssize_t slot = centroid_first_slot(c, term);; slot = (slot + 1) & c->slot_mask) {
        int32_t at = c->slots[slot];
        if (at == 0) {
            return -1;
        }
        if (c->terms[at - 1] == term) {
            return at - 1;
        }
    }
}

/* The term's weight, or 0.0 where absent (*present 0). */
static void
centroid_weight(const Centroid *c, int32_t term, double *weight, int *present)
{
    Py_ssize_t at = centroid_find(c, term);
    *present = at >= 0;
    *weight = at >= 0 ? c->weights[at] : 0.0;
}

/* Entry `at` (not a hole) in the table: its term is not there yet. */
static void
centroid_place(Centroid *c, Py_ssize_t at)
{
    Py_ssize_t slot = centroid_first_slot(c, c->terms[at]);
    while (c->slots[slot] != 0) {
        slot = (slot + 1) & c->slot_mask;
    }
    c->slots[slot] = (int32_t)(at + 1);
}

/* Room for `cap` entries: the live ones moved to new arrays in order (the holes dropped) and
 * the table made again. -1 (MemoryError) if memory ran out; the centroid is then unchanged. */
static int
centroid_resize(Centroid *c, Py_ssize_t cap)
{
    if (cap < c->live) {
        cap = c->live;
    }
    if (cap > CENTROID_MAX_TERM / 2) {
        PyErr_SetString(PyExc_OverflowError, "a centroid of more than a billion terms");
        return -1;
    }
    Py_ssize_t slots = 4;
    while (slots * 3 < cap * 4 + 4) { /* at most three quarters full */
        slots *= 2;
    }
    double *block = PyMem_Malloc((size_t)(cap ? cap : 1) * (sizeof(double) + sizeof(int32_t)));
    int32_t *table = PyMem_Calloc((size_t)slots, sizeof(int32_t));
    if (block == NULL || table == NULL) {
        PyMem_Free(block);
        PyMem_Free(table);
        PyErr_NoMemory();
        return -1;
    }
    int32_t *terms = (int32_t *)(block + cap);
    Py_ssize_t kept = 0;
    for (Py_ssize_t at = 0; at < c->used; at++) {
        if (c->terms[at] >= 0) {
            block[kept] = c->weights[at];
            terms[kept++] = c->terms[at];
        }
    }
    PyMem_Free(c->weights);
    PyMem_Free(c->slots);
    c->weights = block;
    c->terms = terms;
    c->slots = table;
    c->slot_mask = slots - 1;
    c->cap = cap;
    c->used = c->live = kept;
    for (Py_ssize_t at = 0; at < kept; at++) {
        centroid_place(c, at);
    }
    return 0;
}

/* The term's weight, to read and write in place (valid until the next entry is made): its
 * entry, or a new last one holding 0.0 (*present 0), found with one walk of the table.
 * NULL (MemoryError) if memory ran out. */
static double *
centroid_entry(Centroid *c, int32_t term, int *present)
{
    Py_ssize_t slot = centroid_first_slot(c, term);
    for (int32_t at; (at = c->slots[slot]) != 0; slot = (slot + 1) & c->slot_mask) {
        if (c->terms[at - 1] == term) {
            *present = 1;
            return &c->weights[at - 1];
        }
    }
    *present = 0;
    int placed = c->used < c->cap; /* else the arrays and table are made again, and `slot` with them */
    if (!placed) {
        /* Mostly holes: compacted where it is; else half as big again. */
        Py_ssize_t cap = 2 * c->live <= c->used && c->live < c->cap ? c->cap : c->cap + c->cap / 2 + 4;
        if (centroid_resize(c, cap) < 0) {
            return NULL;
        }
    }
    Py_ssize_t at = c->used++;
    c->terms[at] = term;
    c->weights[at] = 0.0;
    c->live++;
    if (placed) {
        c->slots[slot] = (int32_t)(at + 1);
    } else {
        centroid_place(c, at);
    }
    return &c->weights[at];
}

/* centroid[term] = weight: in its place if there, else last. 0, or -1 with an exception set. */
static int
centroid_set(Centroid *c, int32_t term, double weight)
{
    int present;
    double *entry = centroid_entry(c, term, &present);
    if (entry == NULL) {
        return -1;
    }
    *entry = weight;
    return 0;
}

/* centroid.pop(term): 1 and its weight in *weight, or 0 where absent. */
static int
centroid_pop(Centroid *c, int32_t term, double *weight)
{
    Py_ssize_t at = centroid_find(c, term);
    if (at < 0) {
        return 0;
    }
    *weight = c->weights[at];
    c->terms[at] = -1;
    c->live--;
    return 1;
}

/* A new, empty centroid with room for `cap` entries (a new reference, or NULL). */
static Centroid *
centroid_new(Py_ssize_t cap)
{
    Centroid *c = PyObject_New(Centroid, &CentroidType);
    if (c == NULL) {
        return NULL;
    }
    c->weights = NULL;
    c->terms = NULL;
    c->slots = NULL;
    c->used = c->live = c->cap = c->slot_mask = 0;
    if (centroid_resize(c, cap) < 0) {
        Py_DECREF(c);
        return NULL;
    }
    return c;
}

/* The term number a Python key stands for: 1 and *term if it can be in a centroid, 0 if it
 * cannot (an int out of range), -1 (TypeError) for a key that is no int. */
static int
centroid_key(PyObject *key, int32_t *term)
{
    if (!PyLong_Check(key)) {
        PyErr_Format(PyExc_TypeError, "a centroid's keys are term numbers (int), not %.100s", Py_TYPE(key)->tp_name);
        return -1;
    }
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(key, &overflow);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow || value < 0 || value > CENTROID_MAX_TERM) {
        return 0;
    }
    *term = (int32_t)value;
    return 1;
}

/* The term number for a key being set: ValueError where it cannot be one. */
static int
centroid_new_key(PyObject *key, int32_t *term)
{
    int fits = centroid_key(key, term);
    if (fits == 0) {
        PyErr_SetString(PyExc_ValueError, "a centroid's term numbers are 0 to 2**31 - 1");
    }
    return fits == 1 ? 0 : -1;
}

static void
centroid_dealloc(Centroid *c)
{
    PyMem_Free(c->weights);
    PyMem_Free(c->slots);
    PyObject_Free(c);
}

static int
centroid_set_pair(Centroid *c, PyObject *key, PyObject *value)
{
    int32_t term;
    if (centroid_new_key(key, &term) < 0) {
        return -1;
    }
    double weight = PyFloat_AsDouble(value);
    if (weight == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    return centroid_set(c, term, weight);
}

/* Centroid(terms=(), weights=()): the pairs set in order, as dict(zip(terms, weights)). */
static PyObject *
centroid_py_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"terms", "weights", NULL};
    PyObject *terms = NULL, *weights = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO:Centroid", names, &terms, &weights)) {
        return NULL;
    }
    if ((terms == NULL) != (weights == NULL)) {
        PyErr_SetString(PyExc_TypeError, "Centroid takes terms and weights, or neither");
        return NULL;
    }
    Py_ssize_t hint = terms == NULL ? 0 : PyObject_LengthHint(terms, 0);
    Centroid *c = hint < 0 ? NULL : centroid_new(hint);
    if (c == NULL || terms == NULL) {
        return (PyObject *)c;
    }
    PyObject *term_iter = PyObject_GetIter(terms), *weight_iter = PyObject_GetIter(weights);
    while (term_iter != NULL && weight_iter != NULL) {
        PyObject *key = PyIter_Next(term_iter);
        PyObject *value = key == NULL ? NULL : PyIter_Next(weight_iter);
        int failed = value != NULL && centroid_set_pair(c, key, value) < 0;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (value == NULL || failed) {
            break;
        }
    }
    Py_XDECREF(term_iter);
    Py_XDECREF(weight_iter);
    if (PyErr_Occurred()) {
        Py_DECREF(c);
        return NULL;
    }
    return (PyObject *)c;
}

static Py_ssize_t
centroid_length(Centroid *c)
{
    return c->live;
}

static PyObject *
centroid_subscript(Centroid *c, PyObject *key)
{
    int32_t term;
    int fits = centroid_key(key, &term);
    Py_ssize_t at = fits == 1 ? centroid_find(c, term) : -1;
    if (at < 0) {
        if (fits >= 0) {
            PyErr_SetObject(PyExc_KeyError, key);
        }
        return NULL;
    }
    return PyFloat_FromDouble(c->weights[at]);
}

static int
centroid_ass_subscript(Centroid *c, PyObject *key, PyObject *value)
{
    if (value != NULL) {
        return centroid_set_pair(c, key, value);
    }
    int32_t term;
    double weight;
    int fits = centroid_key(key, &term);
    if (fits < 0) {
        return -1;
    }
    if (fits == 0 || !centroid_pop(c, term, &weight)) {
        PyErr_SetObject(PyExc_KeyError, key);
        return -1;
    }
    return 0;
}

static int
centroid_contains(Centroid *c, PyObject *key)
{
    int32_t term;
    int fits = centroid_key(key, &term);
    return fits <= 0 ? fits : centroid_find(c, term) >= 0;
}

/* The term of get(term[, default]) or pop(term[, default]): as centroid_key, or -1 (TypeError)
 * for a wrong number of arguments. */
static int
centroid_key_argument(const char *method, PyObject *const *args, Py_ssize_t nargs, int32_t *term)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError, "%s expected 1 or 2 arguments, got %zd", method, nargs);
        return -1;
    }
    return centroid_key(args[0], term);
}

static PyObject *
centroid_get(Centroid *c, PyObject *const *args, Py_ssize_t nargs)
{
    int32_t term;
    int fits = centroid_key_argument("get", args, nargs, &term);
    if (fits < 0) {
        return NULL;
    }
    double weight;
    int present = 0;
    if (fits) {
        centroid_weight(c, term, &weight, &present);
    }
    if (present) {
        return PyFloat_FromDouble(weight);
    }
    PyObject *fallback = nargs == 2 ? args[1] : Py_None;
    Py_INCREF(fallback);
    return fallback;
}

static PyObject *
centroid_py_pop(Centroid *c, PyObject *const *args, Py_ssize_t nargs)
{
    int32_t term;
    double weight;
    int fits = centroid_key_argument("pop", args, nargs, &term);
    if (fits < 0) {
        return NULL;
    }
    if (fits && centroid_pop(c, term, &weight)) {
        return PyFloat_FromDouble(weight);
    }
    if (nargs == 2) {
        Py_INCREF(args[1]);
        return args[1];
    }
    PyErr_SetObject(PyExc_KeyError, args[0]);
    return NULL;
}

/* keys(), values() or items() (what 0, 1, 2): a list, in order. */
static PyObject *
centroid_list(Centroid *c, int what)
{
    PyObject *list = PyList_New(c->live);
    Py_ssize_t k = 0;
    for (Py_ssize_t at = 0; list != NULL && at < c->used; at++) {
        if (c->terms[at] < 0) {
            continue;
        }
        PyObject *item;
        if (what == 0) {
            item = PyLong_FromLong(c->terms[at]);
        } else if (what == 1) {
            item = PyFloat_FromDouble(c->weights[at]);
        } else {
            item = Py_BuildValue("(id)", (int)c->terms[at], c->weights[at]);
        }
        if (item == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, k++, item);
    }
    return list;
}

static PyObject *
centroid_keys(Centroid *c, PyObject *Py_UNUSED(ignored))
{
    return centroid_list(c, 0);
}

static PyObject *
centroid_values(Centroid *c, PyObject *Py_UNUSED(ignored))
{
    return centroid_list(c, 1);
}

static PyObject *
centroid_items(Centroid *c, PyObject *Py_UNUSED(ignored))
{
    return centroid_list(c, 2);
}

static PyObject *
centroid_iter(Centroid *c)
{
    PyObject *keys = centroid_list(c, 0);
    PyObject *iter = keys == NULL ? NULL : PyObject_GetIter(keys);
    Py_XDECREF(keys);
    return iter;
}

/* update(pairs): each (term, weight) set in order. */
static PyObject *
centroid_update(Centroid *c, PyObject *pairs)
{
    PyObject *iter = PyObject_GetIter(pairs);
    if (iter == NULL) {
        return NULL;
    }
    PyObject *pair;
    while ((pair = PyIter_Next(iter)) != NULL) {
        PyObject *key, *value;
        int failed = !PyArg_ParseTuple(pair, "OO;a centroid is updated with (term, weight) pairs", &key, &value) ||
                     centroid_set_pair(c, key, value) < 0;
        Py_DECREF(pair);
        if (failed) {
            break;
        }
    }
    Py_DECREF(iter);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
centroid_sizeof(Centroid *c, PyObject *Py_UNUSED(ignored))
{
    size_t bytes = sizeof(Centroid) + (size_t)c->cap * (sizeof(double) + sizeof(int32_t)) +
                   (size_t)(c->slot_mask + 1) * sizeof(int32_t);
    return PyLong_FromSize_t(bytes);
}

static PyObject *
centroid_repr(Centroid *c)
{
    PyObject *items = centroid_list(c, 2);
    PyObject *text = items == NULL ? NULL : PyUnicode_FromFormat("Centroid(%R)", items);
    Py_XDECREF(items);
    return text;
}

static PyMethodDef centroid_methods[] = {
    {"get", (PyCFunction)(void (*)(void))centroid_get, METH_FASTCALL,
     "get(term, default=None): the term's weight, or default."},
    {"pop", (PyCFunction)(void (*)(void))centroid_py_pop, METH_FASTCALL,
     "pop(term[, default]): the term's weight, taken out; default (or KeyError) where absent."},
    {"keys", (PyCFunction)centroid_keys, METH_NOARGS, "The terms, in order (a list)."},
    {"values", (PyCFunction)centroid_values, METH_NOARGS, "The weights, in order (a list)."},
    {"items", (PyCFunction)centroid_items, METH_NOARGS, "(term, weight) pairs, in order (a list)."},
    {"update", (PyCFunction)centroid_update, METH_O, "update(pairs): each (term, weight) set in order."},
    {"__sizeof__", (PyCFunction)centroid_sizeof, METH_NOARGS, "Bytes held, the arrays included."},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods centroid_mapping = {
    .mp_length = (lenfunc)centroid_length,
    .mp_subscript = (binaryfunc)centroid_subscript,
    .mp_ass_subscript = (objobjargproc)centroid_ass_subscript,
};

static PySequenceMethods centroid_sequence = {
    .sq_contains = (objobjproc)centroid_contains,
};

static PyTypeObject CentroidType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "searchkit._storykernel.Centroid",
    .tp_doc = "A story's centroid: term number -> summed weight, in the order the terms came, "
              "as compact as two arrays (see searchkit/_centroid.h).",
    .tp_basicsize = sizeof(Centroid),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = centroid_py_new,
    .tp_dealloc = (destructor)centroid_dealloc,
    .tp_repr = (reprfunc)centroid_repr,
    .tp_iter = (getiterfunc)centroid_iter,
    .tp_as_mapping = &centroid_mapping,
    .tp_as_sequence = &centroid_sequence,
    .tp_methods = centroid_methods,
};
