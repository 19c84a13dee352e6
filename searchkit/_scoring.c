/* Optional C kernel of a leaf's weighted frequencies (searchkit.engine.execute.LeafSegment).
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

/* The buffer of obj if it is C-contiguous with one of the item formats in `formats` (all of
 * itemsize `itemsize`): 1 and the format found in *found; 0 if it has another type; -1 on error. */
static int
view(PyObject *obj, Py_buffer *buffer, const char *formats, Py_ssize_t itemsize, int writable, char *found)
{
    if (PyObject_GetBuffer(obj, buffer, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        return -1;
    }
    const char *f = buffer->format == NULL ? "B" : buffer->format;
    if (*f == '<' || *f == '=' || *f == '@') {
        f++;
    }
    if (buffer->itemsize != itemsize || *f == '\0' || f[1] != '\0' || strchr(formats, *f) == NULL) {
        PyBuffer_Release(buffer);
        return 0;
    }
    *found = *f;
    return 1;
}

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

static PyMethodDef scoring_functions[] = {
    {"weighted_sum", weighted_sum, METH_VARARGS,
     "weighted_sum(docs, part_docs, part_freqs, weights, norms, out) -> int: each document's sum of "
     "weight * freq / norm over the parts holding it, into out (see searchkit/_scoring.c); -1: other types."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef scoring_module = {
    PyModuleDef_HEAD_INIT, .m_name = "searchkit._scoring", .m_doc = "Optional C kernel of a leaf's weighted frequencies.",
    .m_size = -1, .m_methods = scoring_functions,
};

PyMODINIT_FUNC
PyInit__scoring(void)
{
    return PyModule_Create(&scoring_module);
}
