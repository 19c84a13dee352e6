/* Optional C kernels of posting lists: a leaf's weighted frequencies (searchkit.engine.execute.LeafSegment)
 * and one document's positions (searchkit.engine.tokenmap.BodyPositions, below).
 *
 * weighted_sum(docs, part_docs, part_freqs, weights, norms, out) -> int
 *
 * docs (int64, ascending) are the documents to score; each part i is a posting list:
 * part_docs[i] (uint32, ascending), part_freqs[i] (uint16 or float64, one per posting),
 * weights[i] (a float) and norms[i] (float32 or float64, one per document of the segment).
 * out (float64, as long as docs) gets, for each document, the sum over the parts holding it,
 * in the parts' order from 0.0, of weight * freq / norm[doc]: the same operations in the same
 * order as the numpy version, so the same floats. A part much longer than docs is searched
 * (galloping) from the shorter; otherwise the two lists are merged. Returns 0, or -1 when an array has
 * another type (the caller then runs numpy, the reference: tests/test_scoring_kernel.py). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_buffers.h"

/* The first position at or after `at` in d[0:n] (ascending) whose value is >= want: galloping,
 * then bisecting. seek for a part's documents (uint32), seek64 for the wanted ones (int64). */
#define DEFINE_SEEK(name, type)                                             \
    static Py_ssize_t name(const type *d, Py_ssize_t n, Py_ssize_t at, int64_t want) \
    {                                                                       \
        Py_ssize_t step = 1, hi = at;                                       \
        while (hi < n && (int64_t)d[hi] < want) {                           \
            at = hi + 1;                                                    \
            hi += step;                                                     \
            step *= 2;                                                      \
        }                                                                   \
        if (hi > n) {                                                       \
            hi = n;                                                         \
        }                                                                   \
        while (at < hi) {                                                   \
            Py_ssize_t mid = at + (hi - at) / 2;                            \
            if ((int64_t)d[mid] < want) {                                   \
                at = mid + 1;                                               \
            } else {                                                        \
                hi = mid;                                                   \
            }                                                               \
        }                                                                   \
        return at;                                                          \
    }
DEFINE_SEEK(seek, uint32_t)
DEFINE_SEEK(seek64, int64_t)

static PyObject *
weighted_sum(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *docs_obj, *part_docs, *part_freqs, *weights, *norms, *out_obj;
    if (!PyArg_ParseTuple(args, "OO!O!O!O!O:weighted_sum", &docs_obj, &PyList_Type, &part_docs, &PyList_Type,
                          &part_freqs, &PyList_Type, &weights, &PyList_Type, &norms, &out_obj)) {
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(part_docs);
    if (PyList_GET_SIZE(part_freqs) != count || PyList_GET_SIZE(weights) != count || PyList_GET_SIZE(norms) != count) {
        PyErr_SetString(PyExc_ValueError, "weighted_sum: the part lists differ in length");
        return NULL;
    }
    Py_buffer docs, out;
    char format;
    int got = view(docs_obj, &docs, "lq", 8, 0, &format);
    if (got <= 0) {
        return got < 0 ? NULL : PyLong_FromLong(-1);
    }
    got = view(out_obj, &out, "d", 8, 1, &format);
    if (got <= 0) {
        PyBuffer_Release(&docs);
        return got < 0 ? NULL : PyLong_FromLong(-1);
    }
    long result = 0;
    Py_ssize_t n = docs.len / 8;
    const int64_t *wanted = (const int64_t *)docs.buf;
    double *sums = (double *)out.buf;
    if (out.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "weighted_sum: out must be as long as docs");
        result = -2;
        goto done;
    }
    memset(sums, 0, (size_t)n * sizeof(double));
    for (Py_ssize_t p = 0; p < count && result == 0; p++) {
        Py_buffer pd, pf, pn;
        char freq_format, norm_format;
        got = view(PyList_GET_ITEM(part_docs, p), &pd, "I", 4, 0, &format);
        if (got <= 0) {
            result = got < 0 ? -2 : -1;
            break;
        }
        got = view(PyList_GET_ITEM(part_freqs, p), &pf, "H", 2, 0, &freq_format);
        if (got == 0) {
            got = view(PyList_GET_ITEM(part_freqs, p), &pf, "d", 8, 0, &freq_format);
        }
        if (got <= 0) {
            PyBuffer_Release(&pd);
            result = got < 0 ? -2 : -1;
            break;
        }
        got = view(PyList_GET_ITEM(norms, p), &pn, "f", 4, 0, &norm_format);
        if (got == 0) {
            got = view(PyList_GET_ITEM(norms, p), &pn, "d", 8, 0, &norm_format);
        }
        if (got <= 0) {
            PyBuffer_Release(&pd);
            PyBuffer_Release(&pf);
            result = got < 0 ? -2 : -1;
            break;
        }
        double weight = PyFloat_AsDouble(PyList_GET_ITEM(weights, p));
        Py_ssize_t m = pd.len / 4;
        Py_ssize_t norm_count = pn.len / pn.itemsize;
        if (weight == -1.0 && PyErr_Occurred()) {
            result = -2;
        } else if (pf.len / pf.itemsize != m) {
            PyErr_SetString(PyExc_ValueError, "weighted_sum: a part's docs and frequencies differ in length");
            result = -2;
        } else {
            const uint32_t *d = (const uint32_t *)pd.buf;
            const uint16_t *freq16 = freq_format == 'H' ? (const uint16_t *)pf.buf : NULL;
            const double *freq64 = freq_format == 'd' ? (const double *)pf.buf : NULL;
            const float *norm32 = norm_format == 'f' ? (const float *)pn.buf : NULL;
            const double *norm64 = norm_format == 'd' ? (const double *)pn.buf : NULL;
            /* Walk the shorter list, galloping through the longer one when it is much longer. */
            Py_ssize_t i = 0, j = 0;
            while (i < n && j < m) {
                int64_t want = wanted[i], have = (int64_t)d[j];
                if (want < have) {
                    i = m * 8 < n ? seek64(wanted, n, i, have) : i + 1;
                    continue;
                }
                if (have < want) {
                    j = n * 8 < m ? seek(d, m, j, want) : j + 1;
                    continue;
                }
                if (want < 0 || want >= norm_count) {
                    PyErr_SetString(PyExc_ValueError, "weighted_sum: a document past the end of the norms");
                    result = -2;
                    break;
                }
                double value = weight * (freq16 != NULL ? (double)freq16[j] : freq64[j]);
                value = value / (norm32 != NULL ? (double)norm32[want] : norm64[want]);
                sums[i] += value;
                i++;
                j++;
            }
        }
        PyBuffer_Release(&pd);
        PyBuffer_Release(&pf);
        PyBuffer_Release(&pn);
    }
done:
    PyBuffer_Release(&docs);
    PyBuffer_Release(&out);
    if (result == -2) {
        return NULL;
    }
    return PyLong_FromLong(result);
}

/* doc_positions(docs, freqs, positions, ends, doc) -> list | None | int
 *
 * One document's positions in a posting list with positions: docs (uint32, ascending), freqs
 * (uint16 or uint32, one per posting), positions (uint16 or uint32: each posting's run, in
 * order) and ends (int64, the running sum of freqs, or None: summed here up to the document).
 * The positions of doc as a list of ints; None when docs lacks it; -1 when an array has
 * another type (the caller then reads them with numpy, the reference). */
static PyObject *
doc_positions(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *docs_obj, *freqs_obj, *positions_obj, *ends_obj;
    long long doc;
    if (!PyArg_ParseTuple(args, "OOOOL:doc_positions", &docs_obj, &freqs_obj, &positions_obj, &ends_obj, &doc)) {
        return NULL;
    }
    Py_buffer d, f, p, e;
    char d_format, f_format, p_format, e_format;
    int have_ends = ends_obj != Py_None;
    int got = view(docs_obj, &d, "I", 4, 0, &d_format);
    if (got <= 0) {
        return got < 0 ? NULL : PyLong_FromLong(-1);
    }
    PyObject *result = NULL;
    int released = 0; /* buffers taken so far past d: 1 f, 2 p, 3 e */
    got = view(freqs_obj, &f, "H", 2, 0, &f_format);
    if (got == 0) {
        got = view(freqs_obj, &f, "I", 4, 0, &f_format);
    }
    if (got <= 0) {
        goto unsupported;
    }
    released = 1;
    got = view(positions_obj, &p, "H", 2, 0, &p_format);
    if (got == 0) {
        got = view(positions_obj, &p, "I", 4, 0, &p_format);
    }
    if (got <= 0) {
        goto unsupported;
    }
    released = 2;
    if (have_ends) {
        got = view(ends_obj, &e, "lq", 8, 0, &e_format);
        if (got <= 0) {
            goto unsupported;
        }
        released = 3;
    }
    {
        Py_ssize_t n = d.len / 4;
        if (f.len / f.itemsize != n || (have_ends && e.len / 8 != n)) {
            PyErr_SetString(PyExc_ValueError, "doc_positions: docs, freqs and ends differ in length");
            goto done;
        }
        const uint32_t *docs = (const uint32_t *)d.buf;
        Py_ssize_t at = seek(docs, n, 0, (int64_t)doc);
        if (at == n || (int64_t)docs[at] != doc) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        int64_t start = 0, count;
        if (have_ends) {
            const int64_t *ends = (const int64_t *)e.buf;
            start = at ? ends[at - 1] : 0;
            count = ends[at] - start;
        } else if (f_format == 'H') {
            const uint16_t *freqs = (const uint16_t *)f.buf;
            for (Py_ssize_t i = 0; i < at; i++) {
                start += freqs[i];
            }
            count = freqs[at];
        } else {
            const uint32_t *freqs = (const uint32_t *)f.buf;
            for (Py_ssize_t i = 0; i < at; i++) {
                start += freqs[i];
            }
            count = freqs[at];
        }
        if (start < 0 || count < 0 || start + count > (int64_t)(p.len / p.itemsize)) {
            PyErr_SetString(PyExc_ValueError, "doc_positions: a run past the end of the positions");
            goto done;
        }
        result = PyList_New((Py_ssize_t)count);
        if (result == NULL) {
            goto done;
        }
        for (Py_ssize_t i = 0; i < count; i++) {
            unsigned long value = p_format == 'H' ? ((const uint16_t *)p.buf)[start + i]
                                                  : ((const uint32_t *)p.buf)[start + i];
            PyObject *item = PyLong_FromUnsignedLong(value);
            if (item == NULL) {
                Py_CLEAR(result);
                goto done;
            }
            PyList_SET_ITEM(result, i, item);
        }
        goto done;
    }
unsupported:
    if (!PyErr_Occurred()) {
        result = PyLong_FromLong(-1);
    }
done:
    PyBuffer_Release(&d);
    if (released >= 1) {
        PyBuffer_Release(&f);
    }
    if (released >= 2) {
        PyBuffer_Release(&p);
    }
    if (released >= 3) {
        PyBuffer_Release(&e);
    }
    return result;
}

/* page_positions(docs, freqs, positions, wanted) -> list | int
 *
 * doc_positions for each of wanted (a list of ascending ints: a page's documents in one
 * segment), walking the posting list once: each document's positions as a list, or None where
 * docs lacks it; -1 when an array has another type. The frequencies are summed only up to the
 * last document wanted, in one pass, where a running sum of a long list would read all of it. */
static PyObject *
page_positions(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *docs_obj, *freqs_obj, *positions_obj, *wanted;
    if (!PyArg_ParseTuple(args, "OOOO!:page_positions", &docs_obj, &freqs_obj, &positions_obj, &PyList_Type, &wanted)) {
        return NULL;
    }
    Py_buffer d, f, p;
    char d_format, f_format, p_format;
    int got = view(docs_obj, &d, "I", 4, 0, &d_format);
    if (got <= 0) {
        return got < 0 ? NULL : PyLong_FromLong(-1);
    }
    got = view(freqs_obj, &f, "H", 2, 0, &f_format);
    if (got == 0) {
        got = view(freqs_obj, &f, "I", 4, 0, &f_format);
    }
    if (got <= 0) {
        PyBuffer_Release(&d);
        return got < 0 ? NULL : PyLong_FromLong(-1);
    }
    got = view(positions_obj, &p, "H", 2, 0, &p_format);
    if (got == 0) {
        got = view(positions_obj, &p, "I", 4, 0, &p_format);
    }
    if (got <= 0) {
        PyBuffer_Release(&d);
        PyBuffer_Release(&f);
        return got < 0 ? NULL : PyLong_FromLong(-1);
    }
    PyObject *result = NULL;
    Py_ssize_t n = d.len / 4, count = PyList_GET_SIZE(wanted), position_count = p.len / p.itemsize;
    if (f.len / f.itemsize != n) {
        PyErr_SetString(PyExc_ValueError, "page_positions: docs and freqs differ in length");
        goto done;
    }
    const uint32_t *docs = (const uint32_t *)d.buf;
    const uint16_t *freq16 = f_format == 'H' ? (const uint16_t *)f.buf : NULL;
    const uint32_t *freq32 = f_format == 'I' ? (const uint32_t *)f.buf : NULL;
    result = PyList_New(count);
    if (result == NULL) {
        goto done;
    }
    Py_ssize_t at = 0;
    int64_t start = 0, previous = -1; /* start: the positions before docs[at] */
    for (Py_ssize_t k = 0; k < count; k++) {
        long long doc = PyLong_AsLongLong(PyList_GET_ITEM(wanted, k));
        if (doc == -1 && PyErr_Occurred()) {
            Py_CLEAR(result);
            goto done;
        }
        if (doc < previous) {
            PyErr_SetString(PyExc_ValueError, "page_positions: the wanted documents are not ascending");
            Py_CLEAR(result);
            goto done;
        }
        previous = doc;
        Py_ssize_t found = seek(docs, n, at, (int64_t)doc);
        for (; at < found; at++) {
            start += freq16 != NULL ? freq16[at] : freq32[at];
        }
        PyObject *item;
        if (at == n || (int64_t)docs[at] != doc) {
            item = Py_NewRef(Py_None);
        } else {
            int64_t run = freq16 != NULL ? freq16[at] : freq32[at];
            if (start + run > (int64_t)position_count) {
                PyErr_SetString(PyExc_ValueError, "page_positions: a run past the end of the positions");
                Py_CLEAR(result);
                goto done;
            }
            item = PyList_New((Py_ssize_t)run);
            for (Py_ssize_t i = 0; item != NULL && i < run; i++) {
                unsigned long value = p_format == 'H' ? ((const uint16_t *)p.buf)[start + i]
                                                      : ((const uint32_t *)p.buf)[start + i];
                PyObject *number = PyLong_FromUnsignedLong(value);
                if (number == NULL) {
                    Py_CLEAR(item);
                    break;
                }
                PyList_SET_ITEM(item, i, number);
            }
            if (item == NULL) {
                Py_CLEAR(result);
                goto done;
            }
        }
        PyList_SET_ITEM(result, k, item);
    }
done:
    PyBuffer_Release(&d);
    PyBuffer_Release(&f);
    PyBuffer_Release(&p);
    return result;
}

static PyMethodDef scoring_functions[] = {
    {"page_positions", page_positions, METH_VARARGS,
     "page_positions(docs, freqs, positions, wanted) -> list | int: doc_positions of each of the ascending "
     "wanted documents, in one walk of the list (see searchkit/_scoring.c); -1: other types."},
    {"doc_positions", doc_positions, METH_VARARGS,
     "doc_positions(docs, freqs, positions, ends, doc) -> list | None | int: the positions of doc in a "
     "posting list (see searchkit/_scoring.c); None: not there; -1: other types."},
    {"weighted_sum", weighted_sum, METH_VARARGS,
     "weighted_sum(docs, part_docs, part_freqs, weights, norms, out) -> int: each document's sum of "
     "weight * freq / norm over the parts holding it, into out (see searchkit/_scoring.c); -1: other types."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef scoring_module = {
    PyModuleDef_HEAD_INIT, .m_name = "searchkit._scoring", .m_doc = "Optional C kernels of a leaf's weighted frequencies and a document's positions.",
    .m_size = -1, .m_methods = scoring_functions,
};

PyMODINIT_FUNC
PyInit__scoring(void)
{
    return PyModule_Create(&scoring_module);
}
