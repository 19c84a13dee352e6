/* searchkit._storykernel: the inner loops of placing an article in a story, in C (optional).
 *
 * searchkit/engine/stories.py places each added article in order (StoryClusterer.place);
 * two of its loops run here when this module is built, with the very float operations, in
 * the same order, as their Python versions in that file, so the stories are the same
 * article for article (tests/test_story_kernel.py runs both):
 *
 * candidates(...)  StoryClusterer._candidates: the stories listed under the article's
 *                  heaviest terms (each term's ring of its latest stories, oldest first),
 *                  within the time window, their shared weight summed per story as the
 *                  terms come, and the best `rescored` of them by that sum over the
 *                  story's length (the earlier story first among equals).
 * join(...)        StoryClusterer._join_terms: an article's terms added to its story's
 *                  centroid dict (norm2 updated as it goes), each term new to the
 *                  centroid listed under it (its ring of latest stories).
 * products(...)    StoryClusterer._best_story: the products its similarity sums (the sum
 *                  stays in Python), a story of one article read from its vector.
 * vectors(...)     StoryClusterer.vectors after the terms are numbered: each (article, term)'s
 *                  document frequency counted as the articles come, its weight, the
 *                  article's heaviest terms (weight down, then as given) scaled by the
 *                  square root of their squares summed in that order (numpy's cumsum).
 * best(...)        StoryClusterer._best_story whole (Python before 3.12 only): candidates,
 *                  then each one's products summed one after another as sum() of floats
 *                  does there (3.12 compensates its sums, so there products() is used),
 *                  over the story's length, against the threshold of a dated or undated
 *                  match; the story to join, or None.
 *
 * The arrays are the clusterer's array.array columns, read and written in place through
 * the buffer protocol. Sums that Python makes with sum() stay in Python (its summation
 * differs between versions), except in best() where it is the plain one of Python 3.11;
 * every product and sum here is stored before it is used,
 * so no compiler fuses them into one rounding.
 *
 * Without this module (no compiler when searchkit was installed, or
 * SEARCHKIT_PURE_PYTHON=1) stories.py runs its Python loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_PARTIAL 4096

typedef struct {
    Py_buffer listings; /* int64 per term: how many times it was listed */
    Py_buffer listed;   /* int32 per term * width: the ring of story numbers */
    Py_buffer weights;  /* float64 per term * width: the term's weight in each */
} Rings;

static int
get_buffer(PyObject *obj, Py_buffer *view, const char *format, Py_ssize_t itemsize, int writable)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        return -1;
    }
    if (view->itemsize != itemsize || view->format == NULL || view->format[0] != format[0]) {
        PyErr_Format(PyExc_TypeError, "expected an array of '%s' items of %zd bytes", format, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int
get_rings(Rings *rings, PyObject *listings, PyObject *listed, PyObject *weights, int writable)
{
    if (get_buffer(listings, &rings->listings, "q", 8, writable) < 0) {
        return -1;
    }
    if (get_buffer(listed, &rings->listed, "i", 4, writable) < 0) {
        PyBuffer_Release(&rings->listings);
        return -1;
    }
    if (get_buffer(weights, &rings->weights, "d", 8, writable) < 0) {
        PyBuffer_Release(&rings->listings);
        PyBuffer_Release(&rings->listed);
        return -1;
    }
    return 0;
}

static void
release_rings(Rings *rings)
{
    PyBuffer_Release(&rings->listings);
    PyBuffer_Release(&rings->listed);
    PyBuffer_Release(&rings->weights);
}

static int
check_index(Py_ssize_t at, Py_ssize_t size, const char *what)
{
    if (at < 0 || at >= size) {
        PyErr_Format(PyExc_IndexError, "%s %zd outside the clusterer's array of %zd", what, at, size);
        return -1;
    }
    return 0;
}

/* candidates(terms, vector, count, day, dated, width, listings, listed, listed_weight,
 *            lo, hi, sizes, centroids, length, rescored) -> list of story numbers */
static PyObject *
candidates(PyObject *module, PyObject *args)
{
    PyObject *terms, *vector, *listings, *listed, *listed_weight, *lo, *hi, *sizes, *centroids, *length;
    Py_ssize_t count, width, rescored;
    long long day;
    int dated;
    if (!PyArg_ParseTuple(args, "OOnLpnOOOOOOO!On", &terms, &vector, &count, &day, &dated, &width, &listings,
                          &listed, &listed_weight, &lo, &hi, &sizes, &PyDict_Type, &centroids, &length, &rescored)) {
        return NULL;
    }
    PyObject *term_seq = PySequence_Fast(terms, "terms must be a sequence");
    if (term_seq == NULL) {
        return NULL;
    }
    PyObject *vector_seq = PySequence_Fast(vector, "vector must be a sequence");
    if (vector_seq == NULL) {
        Py_DECREF(term_seq);
        return NULL;
    }
    Rings rings;
    Py_buffer lo_view, hi_view, size_view, length_view;
    int have = 0;
    PyObject *result = NULL;
    int32_t *stories = NULL;
    double *dots = NULL;
    if (get_rings(&rings, listings, listed, listed_weight, 0) < 0) {
        goto done;
    }
    have = 1;
    if (get_buffer(lo, &lo_view, "i", 4, 0) < 0) {
        goto done;
    }
    have = 2;
    if (get_buffer(hi, &hi_view, "i", 4, 0) < 0) {
        goto done;
    }
    have = 3;
    if (get_buffer(sizes, &size_view, "i", 4, 0) < 0) {
        goto done;
    }
    have = 4;
    if (get_buffer(length, &length_view, "d", 8, 0) < 0) {
        goto done;
    }
    have = 5;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(term_seq);
    if (PySequence_Fast_GET_SIZE(vector_seq) < n) {
        n = PySequence_Fast_GET_SIZE(vector_seq);
    }
    if (count < n) {
        n = count;
    }
    const int64_t *listing = rings.listings.buf;
    const int32_t *listed_at = rings.listed.buf;
    const double *listed_w = rings.weights.buf;
    const int32_t *los = lo_view.buf, *his = hi_view.buf, *size_of = size_view.buf;
    const double *lengths = length_view.buf;
    Py_ssize_t term_count = rings.listings.len / 8, ring_size = rings.listed.len / 4;
    Py_ssize_t story_count = size_view.len / 4;
    if (lo_view.len / 4 < story_count || hi_view.len / 4 < story_count || length_view.len / 8 < story_count) {
        PyErr_SetString(PyExc_ValueError, "the clusterer's story arrays differ in length");
        goto done;
    }
    stories = PyMem_Malloc(sizeof(int32_t) * (size_t)(n * width + 1));
    dots = PyMem_Malloc(sizeof(double) * (size_t)(n * width + 1));
    if (stories == NULL || dots == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long term = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(term_seq, i));
        double weight = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(vector_seq, i));
        if ((term == -1 || weight == -1.0) && PyErr_Occurred()) {
            goto done;
        }
        if (check_index((Py_ssize_t)term, term_count, "term") < 0) {
            goto done;
        }
        int64_t listings_of = listing[term];
        if (!listings_of) {
            continue;
        }
        Py_ssize_t base = (Py_ssize_t)term * width;
        if (check_index(base + width - 1, ring_size, "ring entry") < 0) {
            goto done;
        }
        PyObject *term_key = NULL; /* made when a centroid is asked */
        Py_ssize_t ring_length = listings_of <= width ? (Py_ssize_t)listings_of : width;
        Py_ssize_t turn = listings_of <= width ? 0 : (Py_ssize_t)(listings_of % width);
        for (Py_ssize_t k = 0; k < ring_length; k++) {
            Py_ssize_t at = base + (turn + k) % width; /* oldest first, as they were listed */
            int32_t story = listed_at[at];
            if (check_index(story, story_count, "story") < 0) {
                Py_XDECREF(term_key);
                goto done;
            }
            if (dated && !(los[story] <= day && day <= his[story])) {
                continue; /* outside the time window: never ranked */
            }
            double shared;
            PyObject *story_key = PyLong_FromLong(story);
            if (story_key == NULL) {
                Py_XDECREF(term_key);
                goto done;
            }
            PyObject *centroid = PyDict_GetItemWithError(centroids, story_key);
            Py_DECREF(story_key);
            if (centroid == NULL) {
                if (PyErr_Occurred()) {
                    Py_XDECREF(term_key);
                    goto done;
                }
                if (!size_of[story]) {
                    continue; /* removed */
                }
                shared = listed_w[at]; /* a story of one article: its own weight */
            } else {
                if (!PyDict_Check(centroid)) {
                    PyErr_SetString(PyExc_TypeError, "a centroid must be a dict");
                    Py_XDECREF(term_key);
                    goto done;
                }
                if (term_key == NULL && (term_key = PyLong_FromLongLong(term)) == NULL) {
                    goto done;
                }
                PyObject *value = PyDict_GetItemWithError(centroid, term_key);
                if (value == NULL) {
                    if (PyErr_Occurred()) {
                        Py_DECREF(term_key);
                        goto done;
                    }
                    continue;
                }
                shared = PyFloat_AsDouble(value);
                if (shared == -1.0 && PyErr_Occurred()) {
                    Py_DECREF(term_key);
                    goto done;
                }
            }
            volatile double product = weight * shared;
            Py_ssize_t j = 0;
            while (j < found && stories[j] != story) {
                j++;
            }
            if (j == found) {
                stories[found] = story;
                dots[found++] = 0.0 + product;
            } else {
                volatile double sum = dots[j] + product;
                dots[j] = sum;
            }
        }
        Py_XDECREF(term_key);
    }
    /* The best `rescored` by (dot / length, the earlier story among equals), best first:
     * a selection sort of the few found (at most terms x width). */
    double *similarity = dots; /* reused: each dot becomes its similarity */
    for (Py_ssize_t j = 0; j < found; j++) {
        double story_length = lengths[stories[j]];
        if (story_length == 0.0) {
            PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
            goto done;
        }
        volatile double quotient = dots[j] / story_length;
        similarity[j] = quotient;
    }
    Py_ssize_t keep = rescored < found ? rescored : found;
    if (keep < 0) {
        keep = 0;
    }
    result = PyList_New(keep);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t r = 0; r < keep; r++) {
        Py_ssize_t best = r;
        for (Py_ssize_t j = r + 1; j < found; j++) {
            if (similarity[j] > similarity[best] ||
                (similarity[j] == similarity[best] && stories[j] < stories[best])) {
                best = j;
            }
        }
        double s = similarity[r];
        int32_t st = stories[r];
        similarity[r] = similarity[best];
        stories[r] = stories[best];
        similarity[best] = s;
        stories[best] = st;
        PyObject *number = PyLong_FromLong(stories[r]);
        if (number == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, r, number);
    }
done:
    PyMem_Free(stories);
    PyMem_Free(dots);
    if (have >= 5) {
        PyBuffer_Release(&length_view);
    }
    if (have >= 4) {
        PyBuffer_Release(&size_view);
    }
    if (have >= 3) {
        PyBuffer_Release(&hi_view);
    }
    if (have >= 2) {
        PyBuffer_Release(&lo_view);
    }
    if (have >= 1) {
        release_rings(&rings);
    }
    Py_DECREF(term_seq);
    Py_DECREF(vector_seq);
    return result;
}

/* join(centroid, terms, weights, norm2, number, width, listings, listed, listed_weight) -> norm2
 * centroid None: every term is new to the story (its first member), listed only. */
static PyObject *
join(PyObject *module, PyObject *args)
{
    PyObject *centroid, *terms, *weights, *listings, *listed, *listed_weight;
    double norm2;
    long number;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "OOOdlnOOO", &centroid, &terms, &weights, &norm2, &number, &width, &listings,
                          &listed, &listed_weight)) {
        return NULL;
    }
    if (centroid != Py_None && !PyDict_Check(centroid)) {
        PyErr_SetString(PyExc_TypeError, "a centroid must be a dict or None");
        return NULL;
    }
    PyObject *term_seq = PySequence_Fast(terms, "terms must be a sequence");
    if (term_seq == NULL) {
        return NULL;
    }
    PyObject *weight_seq = PySequence_Fast(weights, "weights must be a sequence");
    if (weight_seq == NULL) {
        Py_DECREF(term_seq);
        return NULL;
    }
    Rings rings;
    PyObject *result = NULL;
    if (get_rings(&rings, listings, listed, listed_weight, 1) < 0) {
        goto fail;
    }
    int64_t *listing = rings.listings.buf;
    int32_t *listed_at = rings.listed.buf;
    double *listed_w = rings.weights.buf;
    Py_ssize_t term_count = rings.listings.len / 8, ring_size = rings.listed.len / 4;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(term_seq);
    if (PySequence_Fast_GET_SIZE(weight_seq) < n) {
        n = PySequence_Fast_GET_SIZE(weight_seq);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *term_obj = PySequence_Fast_GET_ITEM(term_seq, i);
        PyObject *weight_obj = PySequence_Fast_GET_ITEM(weight_seq, i);
        long long term = PyLong_AsLongLong(term_obj);
        double weight = PyFloat_AsDouble(weight_obj);
        if ((term == -1 || weight == -1.0) && PyErr_Occurred()) {
            goto release;
        }
        if (check_index((Py_ssize_t)term, term_count, "term") < 0 ||
            check_index((Py_ssize_t)term * width + width - 1, ring_size, "ring entry") < 0) {
            goto release;
        }
        int is_new = 1;
        if (centroid != Py_None) {
            double old = 0.0;
            PyObject *value = PyDict_GetItemWithError(centroid, term_obj);
            if (value != NULL) {
                is_new = 0;
                old = PyFloat_AsDouble(value);
                if (old == -1.0 && PyErr_Occurred()) {
                    goto release;
                }
            } else if (PyErr_Occurred()) {
                goto release;
            }
            volatile double updated = old + weight;
            PyObject *sum = PyFloat_FromDouble(updated);
            if (sum == NULL || PyDict_SetItem(centroid, term_obj, sum) < 0) {
                Py_XDECREF(sum);
                goto release;
            }
            Py_DECREF(sum);
            /* norm2 += 2 * old * weight + weight * weight */
            volatile double twice = 2 * old;
            volatile double cross = twice * weight;
            volatile double square = weight * weight;
            volatile double added = cross + square;
            volatile double total = norm2 + added;
            norm2 = total;
        }
        if (is_new) { /* the story listed under the term: the latest of its ring */
            int64_t listed_count = listing[term];
            Py_ssize_t at = (Py_ssize_t)term * width + (Py_ssize_t)(listed_count % width);
            listed_at[at] = (int32_t)number;
            listed_w[at] = weight;
            listing[term] = listed_count + 1;
        }
    }
    result = PyFloat_FromDouble(norm2);
release:
    release_rings(&rings);
fail:
    Py_DECREF(term_seq);
    Py_DECREF(weight_seq);
    return result;
}

/* products(vector, terms, centroid, head_terms, head_weights) -> list of floats
 * StoryClusterer._best_story's products map(mul, vector, map(centroid.get, terms, _ZEROS)),
 * each stored as Python computes it; the caller sums them with sum(). centroid None: the
 * story of one article, whose centroid is dict(zip(head_terms, head_weights)) (the last
 * of a repeated term wins, as in the dict), looked up here without making the dict. */
static PyObject *
products(PyObject *module, PyObject *args)
{
    PyObject *vector, *terms, *centroid, *head_terms, *head_weights;
    if (!PyArg_ParseTuple(args, "OOOOO", &vector, &terms, &centroid, &head_terms, &head_weights)) {
        return NULL;
    }
    if (centroid != Py_None && !PyDict_Check(centroid)) {
        PyErr_SetString(PyExc_TypeError, "a centroid must be a dict or None");
        return NULL;
    }
    PyObject *vector_seq = PySequence_Fast(vector, "vector must be a sequence");
    if (vector_seq == NULL) {
        return NULL;
    }
    PyObject *term_seq = PySequence_Fast(terms, "terms must be a sequence");
    if (term_seq == NULL) {
        Py_DECREF(vector_seq);
        return NULL;
    }
    Py_buffer head_t = {0}, head_w = {0};
    int have = 0;
    PyObject *result = NULL;
    if (centroid == Py_None) {
        if (get_buffer(head_terms, &head_t, "i", 4, 0) < 0) {
            goto fail;
        }
        have = 1;
        if (get_buffer(head_weights, &head_w, "d", 8, 0) < 0) {
            goto fail;
        }
        have = 2;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(vector_seq);
    if (PySequence_Fast_GET_SIZE(term_seq) < n) {
        n = PySequence_Fast_GET_SIZE(term_seq);
    }
    Py_ssize_t head_n = have ? head_t.len / 4 : 0;
    if (have && head_w.len / 8 < head_n) {
        head_n = head_w.len / 8;
    }
    const int32_t *ht = have ? head_t.buf : NULL;
    const double *hw = have ? head_w.buf : NULL;
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        double weight = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(vector_seq, i));
        if (weight == -1.0 && PyErr_Occurred()) {
            Py_DECREF(out);
            goto fail;
        }
        PyObject *term_obj = PySequence_Fast_GET_ITEM(term_seq, i);
        double shared = 0.0;
        if (centroid != Py_None) {
            PyObject *value = PyDict_GetItemWithError(centroid, term_obj);
            if (value != NULL) {
                shared = PyFloat_AsDouble(value);
                if (shared == -1.0 && PyErr_Occurred()) {
                    Py_DECREF(out);
                    goto fail;
                }
            } else if (PyErr_Occurred()) {
                Py_DECREF(out);
                goto fail;
            }
        } else {
            long long term = PyLong_AsLongLong(term_obj);
            if (term == -1 && PyErr_Occurred()) {
                Py_DECREF(out);
                goto fail;
            }
            for (Py_ssize_t j = head_n - 1; j >= 0; j--) {
                if (ht[j] == term) {
                    shared = hw[j];
                    break;
                }
            }
        }
        volatile double product = weight * shared;
        PyObject *item = PyFloat_FromDouble(product);
        if (item == NULL) {
            Py_DECREF(out);
            goto fail;
        }
        PyList_SET_ITEM(out, i, item);
    }
    result = out;
fail:
    if (have >= 1) {
        PyBuffer_Release(&head_t);
    }
    if (have >= 2) {
        PyBuffer_Release(&head_w);
    }
    Py_DECREF(vector_seq);
    Py_DECREF(term_seq);
    return result;
}

typedef struct {
    double weight;
    Py_ssize_t at;
} Ranked;

/* Weight down, then as given: numpy's stable lexsort((-weight, article)) within an article. */
static int
compare_ranked(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->weight > y->weight) {
        return -1;
    }
    if (x->weight < y->weight) {
        return 1;
    }
    return x->at < y->at ? -1 : (x->at > y->at);
}

/* vectors(term, counts, offsets, df, docs, logs, keep) -> [(term numbers, weights)] per article
 * term, counts: int64 per (article, term) entry; offsets: int64, article i's entries are
 * offsets[i]:offsets[i + 1]; df: int64 per term number, counted up here as the entries come;
 * docs: the article count before the first; logs: float64, logs[i] == math.log(i) (long
 * enough: the caller sizes it); keep: the terms kept per article. */
static PyObject *
vectors(PyObject *module, PyObject *args)
{
    PyObject *term_obj, *count_obj, *offset_obj, *df_obj, *log_obj;
    long long docs;
    Py_ssize_t keep;
    if (!PyArg_ParseTuple(args, "OOOOLOn", &term_obj, &count_obj, &offset_obj, &df_obj, &docs, &log_obj, &keep)) {
        return NULL;
    }
    Py_buffer term_view, count_view, offset_view, df_view, log_view;
    int have = 0;
    PyObject *result = NULL;
    Ranked *ranked = NULL;
    if (get_buffer(term_obj, &term_view, "q", 8, 0) < 0 && (PyErr_Clear(), get_buffer(term_obj, &term_view, "l", 8, 0) < 0)) {
        goto done;
    }
    have = 1;
    if (get_buffer(count_obj, &count_view, "q", 8, 0) < 0 && (PyErr_Clear(), get_buffer(count_obj, &count_view, "l", 8, 0) < 0)) {
        goto done;
    }
    have = 2;
    if (get_buffer(offset_obj, &offset_view, "q", 8, 0) < 0 && (PyErr_Clear(), get_buffer(offset_obj, &offset_view, "l", 8, 0) < 0)) {
        goto done;
    }
    have = 3;
    if (get_buffer(df_obj, &df_view, "q", 8, 1) < 0 && (PyErr_Clear(), get_buffer(df_obj, &df_view, "l", 8, 1) < 0)) {
        goto done;
    }
    have = 4;
    if (get_buffer(log_obj, &log_view, "d", 8, 0) < 0) {
        goto done;
    }
    have = 5;
    const int64_t *terms = term_view.buf, *counts = count_view.buf, *offsets = offset_view.buf;
    int64_t *df = df_view.buf;
    const double *logs = log_view.buf;
    Py_ssize_t entries = term_view.len / 8, term_count = df_view.len / 8, log_count = log_view.len / 8;
    Py_ssize_t n = offset_view.len / 8 - 1;
    if (count_view.len / 8 != entries || n < 0 || (n >= 0 && (offsets[0] != 0 || offsets[n] != entries))) {
        PyErr_SetString(PyExc_ValueError, "the entries, counts and offsets do not agree");
        goto done;
    }
    ranked = PyMem_Malloc(sizeof(Ranked) * (size_t)(entries + 1));
    if (ranked == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyList_New(n);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t a = 0; a < n; a++) {
        Py_ssize_t start = (Py_ssize_t)offsets[a], end = (Py_ssize_t)offsets[a + 1];
        if (start > end || end > entries) {
            PyErr_SetString(PyExc_ValueError, "the offsets must go up within the entries");
            goto fail;
        }
        long long doc = docs + a + 1;
        if (check_index((Py_ssize_t)(doc + 1), log_count, "log") < 0) {
            goto fail;
        }
        volatile double most = logs[doc + 1] + 1.0; /* the idf of a term no other article has had */
        for (Py_ssize_t e = start; e < end; e++) {
            int64_t term = terms[e], count = counts[e];
            if (check_index((Py_ssize_t)term, term_count, "term") < 0) {
                goto fail;
            }
            int64_t frequency = df[term] + 1; /* the articles before it, and this one */
            df[term] = frequency;
            if (check_index((Py_ssize_t)count, log_count, "log") < 0 ||
                check_index((Py_ssize_t)(frequency + 1), log_count, "log") < 0) {
                goto fail;
            }
            volatile double tf = 1.0 + logs[count];
            volatile double idf = most - logs[frequency + 1];
            volatile double w = tf * idf;
            ranked[e - start].weight = w;
            ranked[e - start].at = e;
        }
        Py_ssize_t size = end - start;
        qsort(ranked, (size_t)size, sizeof(Ranked), compare_ranked);
        Py_ssize_t kept = size < keep ? size : (keep > 0 ? keep : 0);
        volatile double norm2 = 0.0;
        for (Py_ssize_t k = 0; k < kept; k++) {
            volatile double square = ranked[k].weight * ranked[k].weight;
            volatile double sum = norm2 + square;
            norm2 = sum;
        }
        double norm = sqrt(norm2);
        if (norm == 0.0) {
            norm = 1.0;
        }
        PyObject *names = PyList_New(kept), *weights = PyList_New(kept);
        PyObject *pair = (names && weights) ? PyTuple_Pack(2, names, weights) : NULL;
        Py_XDECREF(names);
        Py_XDECREF(weights);
        if (pair == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(result, a, pair);
        for (Py_ssize_t k = 0; k < kept; k++) {
            volatile double scaled = ranked[k].weight / norm;
            PyObject *name = PyLong_FromLongLong(terms[ranked[k].at]);
            PyObject *value = PyFloat_FromDouble(scaled);
            if (name == NULL || value == NULL) {
                Py_XDECREF(name);
                Py_XDECREF(value);
                goto fail;
            }
            PyList_SET_ITEM(names, k, name);
            PyList_SET_ITEM(weights, k, value);
        }
    }
    goto done;
fail:
    Py_CLEAR(result);
done:
    PyMem_Free(ranked);
    if (have >= 5) {
        PyBuffer_Release(&log_view);
    }
    if (have >= 4) {
        PyBuffer_Release(&df_view);
    }
    if (have >= 3) {
        PyBuffer_Release(&offset_view);
    }
    if (have >= 2) {
        PyBuffer_Release(&count_view);
    }
    if (have >= 1) {
        PyBuffer_Release(&term_view);
    }
    return result;
}

#if PY_VERSION_HEX < 0x030C0000
/* The similarity of the article (terms, weights: n of them) to one story: its products
 * with the centroid dict (NULL: the story of one article, whose vector is head_t/head_w,
 * the last of a repeated term winning as in dict(zip(...))), summed in order as sum() of
 * floats does before Python 3.12 (0.0 plus each product), over the story's length.
 * -1 with an exception set on error (a similarity is never negative: weights are). */
static int
similarity_of(PyObject *term_seq, PyObject *vector_seq, Py_ssize_t n, PyObject *centroid, const int32_t *head_t,
              const double *head_w, Py_ssize_t head_n, double story_length, double *out)
{
    volatile double total = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double weight = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(vector_seq, i));
        if (weight == -1.0 && PyErr_Occurred()) {
            return -1;
        }
        PyObject *term_obj = PySequence_Fast_GET_ITEM(term_seq, i);
        double shared = 0.0;
        if (centroid != NULL) {
            PyObject *value = PyDict_GetItemWithError(centroid, term_obj);
            if (value != NULL) {
                shared = PyFloat_AsDouble(value);
                if (shared == -1.0 && PyErr_Occurred()) {
                    return -1;
                }
            } else if (PyErr_Occurred()) {
                return -1;
            }
        } else {
            long long term = PyLong_AsLongLong(term_obj);
            if (term == -1 && PyErr_Occurred()) {
                return -1;
            }
            for (Py_ssize_t j = head_n - 1; j >= 0; j--) {
                if (head_t[j] == term) {
                    shared = head_w[j];
                    break;
                }
            }
        }
        volatile double product = weight * shared;
        volatile double sum = total + product;
        total = sum;
    }
    if (story_length == 0.0) {
        PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
        return -1;
    }
    volatile double quotient = total / story_length;
    *out = quotient;
    return 0;
}

/* best(terms, vector, count, day, dated, width, listings, listed, listed_weight, lo, hi, sizes,
 *      centroids, length, rescored, first, heads, head_vector, join_similarity,
 *      undated_similarity, missing_day) -> story number or None
 * The candidates as candidates() ranks them; a story without a centroid is compared with
 * its first member's vector, head_vector(heads[story]) -> (array('i'), array('d')). */
static PyObject *
best(PyObject *module, PyObject *args)
{
    if (PyTuple_GET_SIZE(args) != 21) {
        PyErr_Format(PyExc_TypeError, "best() takes 21 arguments (%zd given)", PyTuple_GET_SIZE(args));
        return NULL;
    }
    PyObject *head, *ranked = NULL, *result = NULL;
    PyObject *terms = PyTuple_GET_ITEM(args, 0), *vector = PyTuple_GET_ITEM(args, 1);
    PyObject *centroids = PyTuple_GET_ITEM(args, 12), *length = PyTuple_GET_ITEM(args, 13);
    PyObject *first = PyTuple_GET_ITEM(args, 15), *heads = PyTuple_GET_ITEM(args, 16);
    PyObject *head_vector = PyTuple_GET_ITEM(args, 17);
    double join_similarity = PyFloat_AsDouble(PyTuple_GET_ITEM(args, 18));
    double undated_similarity = PyFloat_AsDouble(PyTuple_GET_ITEM(args, 19));
    long long missing_day = PyLong_AsLongLong(PyTuple_GET_ITEM(args, 20));
    int dated = PyObject_IsTrue(PyTuple_GET_ITEM(args, 4));
    if (PyErr_Occurred() || dated < 0) {
        return NULL;
    }
    if (!PyDict_Check(centroids)) {
        PyErr_SetString(PyExc_TypeError, "centroids must be a dict");
        return NULL;
    }
    PyObject *candidate_args = PyTuple_GetSlice(args, 0, 15);
    if (candidate_args == NULL) {
        return NULL;
    }
    ranked = candidates(module, candidate_args);
    Py_DECREF(candidate_args);
    if (ranked == NULL) {
        return NULL;
    }
    PyObject *term_seq = PySequence_Fast(terms, "terms must be a sequence");
    if (term_seq == NULL) {
        Py_DECREF(ranked);
        return NULL;
    }
    PyObject *vector_seq = PySequence_Fast(vector, "vector must be a sequence");
    if (vector_seq == NULL) {
        Py_DECREF(ranked);
        Py_DECREF(term_seq);
        return NULL;
    }
    Py_buffer length_view, first_view, head_view;
    int have = 0;
    if (get_buffer(length, &length_view, "d", 8, 0) < 0) {
        goto done;
    }
    have = 1;
    if (get_buffer(first, &first_view, "i", 4, 0) < 0) {
        goto done;
    }
    have = 2;
    if (get_buffer(heads, &head_view, "i", 4, 0) < 0) {
        goto done;
    }
    have = 3;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(vector_seq);
    if (PySequence_Fast_GET_SIZE(term_seq) < n) {
        n = PySequence_Fast_GET_SIZE(term_seq);
    }
    const double *lengths = length_view.buf;
    const int32_t *firsts = first_view.buf, *head_rows = head_view.buf;
    Py_ssize_t story_count = length_view.len / 8;
    if (first_view.len / 4 < story_count || head_view.len / 4 < story_count) {
        PyErr_SetString(PyExc_ValueError, "the clusterer's story arrays differ in length");
        goto done;
    }
    long found = -1;
    double best_similarity = 0.0;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(ranked); r++) {
        long story = PyLong_AsLong(PyList_GET_ITEM(ranked, r));
        if (story == -1 && PyErr_Occurred()) {
            goto done;
        }
        if (check_index(story, story_count, "story") < 0) {
            goto done;
        }
        PyObject *centroid = PyDict_GetItemWithError(centroids, PyList_GET_ITEM(ranked, r));
        double similarity;
        int failed;
        if (centroid != NULL) {
            if (!PyDict_Check(centroid)) {
                PyErr_SetString(PyExc_TypeError, "a centroid must be a dict");
                goto done;
            }
            failed = similarity_of(term_seq, vector_seq, n, centroid, NULL, NULL, 0, lengths[story], &similarity);
        } else {
            if (PyErr_Occurred()) {
                goto done;
            }
            PyObject *row = PyLong_FromLong(head_rows[story]);
            if (row == NULL) {
                goto done;
            }
            head = PyObject_CallOneArg(head_vector, row);
            Py_DECREF(row);
            if (head == NULL) {
                goto done;
            }
            if (!PyTuple_Check(head) || PyTuple_GET_SIZE(head) != 2) {
                PyErr_SetString(PyExc_TypeError, "head_vector must return (terms, weights)");
                Py_DECREF(head);
                goto done;
            }
            Py_buffer head_t, head_w;
            if (get_buffer(PyTuple_GET_ITEM(head, 0), &head_t, "i", 4, 0) < 0) {
                Py_DECREF(head);
                goto done;
            }
            if (get_buffer(PyTuple_GET_ITEM(head, 1), &head_w, "d", 8, 0) < 0) {
                PyBuffer_Release(&head_t);
                Py_DECREF(head);
                goto done;
            }
            Py_ssize_t head_n = head_t.len / 4 < head_w.len / 8 ? head_t.len / 4 : head_w.len / 8;
            failed = similarity_of(term_seq, vector_seq, n, NULL, head_t.buf, head_w.buf, head_n, lengths[story],
                                   &similarity);
            PyBuffer_Release(&head_t);
            PyBuffer_Release(&head_w);
            Py_DECREF(head);
        }
        if (failed < 0) {
            goto done;
        }
        int by_content_alone = !dated || firsts[story] == missing_day;
        double needed = by_content_alone ? undated_similarity : join_similarity;
        if (similarity >= needed && (found < 0 || similarity > best_similarity)) {
            found = story;
            best_similarity = similarity;
        }
    }
    if (found < 0) {
        result = Py_NewRef(Py_None);
    } else {
        result = PyLong_FromLong(found);
    }
done:
    if (have >= 3) {
        PyBuffer_Release(&head_view);
    }
    if (have >= 2) {
        PyBuffer_Release(&first_view);
    }
    if (have >= 1) {
        PyBuffer_Release(&length_view);
    }
    Py_DECREF(ranked);
    Py_DECREF(term_seq);
    Py_DECREF(vector_seq);
    return result;
}
#endif

static PyMethodDef storykernel_functions[] = {
    {"products", products, METH_VARARGS,
     "products(vector, terms, centroid, head_terms, head_weights) -> the products of the vector's weights and "
     "the centroid's (None: the head's vector) for the same terms, 0.0 where absent (StoryClusterer._best_story)."},
    {"candidates", candidates, METH_VARARGS,
     "candidates(terms, vector, count, day, dated, width, listings, listed, listed_weight, lo, hi, sizes, "
     "centroids, length, rescored) -> the best story numbers to compare in full (StoryClusterer._candidates)."},
    {"join", join, METH_VARARGS,
     "join(centroid, terms, weights, norm2, number, width, listings, listed, listed_weight) -> norm2: the terms "
     "added to a centroid (None: a first member) and the new ones listed (StoryClusterer._join_terms)."},
    {"vectors", vectors, METH_VARARGS,
     "vectors(term, counts, offsets, df, docs, logs, keep) -> each article's (term numbers, weights), the document "
     "frequencies df counted up as the articles come (StoryClusterer.vectors after the terms are numbered)."},
#if PY_VERSION_HEX < 0x030C0000
    {"best", best, METH_VARARGS,
     "best(terms, vector, count, day, dated, width, listings, listed, listed_weight, lo, hi, sizes, centroids, "
     "length, rescored, first, heads, head_vector, join_similarity, undated_similarity, missing_day) -> the story "
     "the article joins, or None (StoryClusterer._best_story; Python before 3.12, whose sum() of floats it repeats)."},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef storykernel_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "searchkit._storykernel",
    .m_doc = "The inner loops of placing an article in a story in C (optional; see searchkit/engine/stories.py).",
    .m_size = -1,
    .m_methods = storykernel_functions,
};

PyMODINIT_FUNC
PyInit__storykernel(void)
{
    return PyModule_Create(&storykernel_module);
}
