/* Optional C kernel of phrase matching (searchkit.engine.execute._phrase_matches).
 *
 * phrase_matches(docs, tfs, positions, offsets, out_docs, out_counts) -> int
 *
 * For the terms of a phrase in one field of one segment: docs[i] (uint32, ascending) and
 * tfs[i] (uint16) are term i's postings, positions[i] (uint16) its positions, run after run
 * in the order of its documents, offsets[i] its place in the phrase. A document matches
 * where a start s >= 0 has every term i at s + offsets[i]; its count is the number of
 * distinct such starts. The matching documents (ascending) go to out_docs (int64) and their
 * counts to out_counts (float64), both at least as long as the shortest docs[i]; the return
 * value is how many. -1 when a run of positions is not ascending: the caller then runs the
 * numpy version, which handles any order. The numpy version is the reference
 * (tests/test_phrases_kernel.py compares both). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_TERMS 64

typedef struct {
    Py_buffer docs, tfs, pos;
    long offset;
    Py_ssize_t n;      /* postings */
    Py_ssize_t at;     /* current posting */
    Py_ssize_t run;    /* where the current posting's run starts in pos */
} Term;

static int
get(PyObject *obj, Py_buffer *view, const char *format, Py_ssize_t itemsize, int writable)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        return -1;
    }
    const char *f = view->format == NULL ? "B" : view->format;
    if (*f == '<' || *f == '=' || *f == '@') {
        f++;
    }
    if (view->itemsize != itemsize || *f == '\0' || strchr(format, *f) == NULL || f[1] != '\0') {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "phrase_matches: expected items of format %s", format);
        return -1;
    }
    return 0;
}

/* Distinct starts s >= 0 of term 0's run that every other term's run holds at s + offset. */
static Py_ssize_t
count_starts(Term *terms, Py_ssize_t count, const uint16_t *const *pos, int *unordered)
{
    Py_ssize_t scan[MAX_TERMS];
    Py_ssize_t end[MAX_TERMS];
    for (Py_ssize_t i = 0; i < count; i++) {
        const uint16_t *tf = (const uint16_t *)terms[i].tfs.buf;
        scan[i] = terms[i].run;
        end[i] = terms[i].run + tf[terms[i].at];
        for (Py_ssize_t k = scan[i] + 1; k < end[i]; k++) {
            if (pos[i][k] <= pos[i][k - 1]) {
                *unordered = 1;
                return 0;
            }
        }
    }
    Py_ssize_t found = 0;
    for (Py_ssize_t k = scan[0]; k < end[0]; k++) {
        long start = (long)pos[0][k] - terms[0].offset;
        if (start < 0) {
            continue;
        }
        int all = 1;
        for (Py_ssize_t i = 1; i < count && all; i++) {
            long want = start + terms[i].offset;
            while (scan[i] < end[i] && (long)pos[i][scan[i]] < want) {
                scan[i]++;
            }
            all = scan[i] < end[i] && (long)pos[i][scan[i]] == want;
        }
        found += all;
    }
    return found;
}

static PyObject *
phrase_matches(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *docs_list, *tfs_list, *pos_list, *offsets_list, *out_docs_obj, *out_counts_obj;
    if (!PyArg_ParseTuple(args, "O!O!O!O!OO:phrase_matches", &PyList_Type, &docs_list, &PyList_Type, &tfs_list,
                          &PyList_Type, &pos_list, &PyList_Type, &offsets_list, &out_docs_obj, &out_counts_obj)) {
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(docs_list);
    if (count < 1 || count > MAX_TERMS || PyList_GET_SIZE(tfs_list) != count || PyList_GET_SIZE(pos_list) != count
        || PyList_GET_SIZE(offsets_list) != count) {
        PyErr_SetString(PyExc_ValueError, "phrase_matches: 1 to 64 terms, the same number in each list");
        return NULL;
    }
    Term terms[MAX_TERMS];
    const uint16_t *pos[MAX_TERMS];
    Py_buffer out_docs, out_counts;
    Py_ssize_t held = 0;
    Py_ssize_t result = -2;
    int have_out = 0;
    for (; held < count; held++) {
        Term *t = &terms[held];
        if (get(PyList_GET_ITEM(docs_list, held), &t->docs, "I", 4, 0) < 0) {
            goto done;
        }
        if (get(PyList_GET_ITEM(tfs_list, held), &t->tfs, "H", 2, 0) < 0) {
            PyBuffer_Release(&t->docs);
            goto done;
        }
        if (get(PyList_GET_ITEM(pos_list, held), &t->pos, "H", 2, 0) < 0) {
            PyBuffer_Release(&t->docs);
            PyBuffer_Release(&t->tfs);
            goto done;
        }
        t->offset = PyLong_AsLong(PyList_GET_ITEM(offsets_list, held));
        t->n = t->docs.len / 4;
        t->at = 0;
        t->run = 0;
        pos[held] = (const uint16_t *)t->pos.buf;
        if ((t->offset == -1 && PyErr_Occurred()) || t->tfs.len / 2 != t->n) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "phrase_matches: a term's docs and tfs differ in length");
            }
            PyBuffer_Release(&t->docs);
            PyBuffer_Release(&t->tfs);
            PyBuffer_Release(&t->pos);
            goto done;
        }
    }
    if (get(out_docs_obj, &out_docs, "lq", 8, 1) < 0) {
        goto done;
    }
    if (get(out_counts_obj, &out_counts, "d", 8, 1) < 0) {
        PyBuffer_Release(&out_docs);
        goto done;
    }
    have_out = 1;
    Py_ssize_t rarest = 0;
    for (Py_ssize_t i = 1; i < count; i++) {
        if (terms[i].n < terms[rarest].n) {
            rarest = i;
        }
    }
    if (out_docs.len / 8 < terms[rarest].n || out_counts.len / 8 < terms[rarest].n) {
        PyErr_SetString(PyExc_ValueError, "phrase_matches: the outputs are shorter than the rarest term's docs");
        goto done;
    }
    int64_t *docs_out = (int64_t *)out_docs.buf;
    double *counts_out = (double *)out_counts.buf;
    Py_ssize_t written = 0;
    int unordered = 0;
    const uint32_t *rare_docs = (const uint32_t *)terms[rarest].docs.buf;
    for (Py_ssize_t r = 0; r < terms[rarest].n; r++) {
        uint32_t doc = rare_docs[r];
        int everywhere = 1;
        for (Py_ssize_t i = 0; i < count; i++) {
            Term *t = &terms[i];
            const uint32_t *d = (const uint32_t *)t->docs.buf;
            const uint16_t *tf = (const uint16_t *)t->tfs.buf;
            while (t->at < t->n && d[t->at] < doc) {
                t->run += tf[t->at];
                t->at++;
            }
            if (t->at >= t->n || d[t->at] != doc) {
                everywhere = 0;
            }
        }
        if (!everywhere) {
            continue;
        }
        for (Py_ssize_t i = 0; i < count; i++) {
            const uint16_t *tf = (const uint16_t *)terms[i].tfs.buf;
            if (terms[i].run + tf[terms[i].at] > terms[i].pos.len / 2) {
                PyErr_SetString(PyExc_ValueError, "phrase_matches: a term's positions are fewer than its frequencies");
                goto done;
            }
        }
        Py_ssize_t found = count_starts(terms, count, pos, &unordered);
        if (unordered) {
            result = -1;
            goto done;
        }
        if (found) {
            docs_out[written] = doc;
            counts_out[written] = (double)found;
            written++;
        }
    }
    result = written;
done:
    for (Py_ssize_t i = 0; i < held; i++) {
        PyBuffer_Release(&terms[i].docs);
        PyBuffer_Release(&terms[i].tfs);
        PyBuffer_Release(&terms[i].pos);
    }
    if (have_out) {
        PyBuffer_Release(&out_docs);
        PyBuffer_Release(&out_counts);
    }
    if (result == -2) {
        return NULL;
    }
    return PyLong_FromSsize_t(result);
}

static PyMethodDef phrases_functions[] = {
    {"phrase_matches", phrase_matches, METH_VARARGS,
     "phrase_matches(docs, tfs, positions, offsets, out_docs, out_counts) -> int: the documents where "
     "the terms stand at their offsets and how often (see searchkit/_phrases.c); -1: positions out of order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef phrases_module = {
    PyModuleDef_HEAD_INIT, "searchkit._phrases", "Optional C kernel of phrase matching.", -1, phrases_functions,
};

PyMODINIT_FUNC
PyInit__phrases(void)
{
    return PyModule_Create(&phrases_module);
}
