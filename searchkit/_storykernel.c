/* searchkit._storykernel: the inner loops of story clustering, in C (optional).
 *
 * searchkit/engine/stories.py computes each added article's vector and places it in a story
 * (StoryClusterer.vectors and .place_many); both run here when this module is built, with
 * the very float operations, in the same order, as their Python versions in that file, so
 * the stories are the same article for article (tests/test_story_kernel.py runs both):
 *
 * vectors(...)  StoryClusterer.vectors after the terms are numbered: each (article, term)'s
 *               document frequency counted as the articles come, its weight, the article's
 *               heaviest terms (weight down, then as given) scaled by the square root of
 *               their squares summed in that order (numpy's cumsum).
 * place(...)    StoryClusterer.place_many: a run of articles, whose rows the caller has
 *               appended, placed one after another. For each, the candidate stories (the
 *               rings of latest stories under its heaviest terms, within the time window,
 *               their shared weight summed per story as the terms come; the best `rescored`
 *               by that sum over the story's length, the earlier story first among equals),
 *               each compared in full (the products with its centroid, or with the
 *               vector of its only article, summed as the interpreter's sum() of floats
 *               does), the most similar one that passes the dated or undated threshold
 *               joined, else a new story; then the story's members, centroid (made from its
 *               first member's vector when a second joins), squared length (updated term by
 *               term) and days, each term new to it listed. A story's length is the square
 *               root of its squared length, its time window its days widened by the window.
 *
 * The arrays are the clusterer's array.array columns, read and written in place through
 * the buffer protocol; the centroids are its dict of Centroid objects (_centroid.h, this module's
 * Centroid: term number -> weight, in order, in flat arrays). sum() of floats adds them one
 * after another before Python 3.12 and compensates (Neumaier) from 3.12 on: float_sum
 * repeats the interpreter's. Every product and sum is stored before it is used, so no
 * compiler fuses them into one rounding.
 *
 * Without this module (no compiler when searchkit was installed, or
 * SEARCHKIT_PURE_PYTHON=1) stories.py runs its Python loops.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_centroid.h"

/* One buffer wanted: the object, where its view goes, its item formats ("ql": either) and size. */
typedef struct {
    PyObject *obj;
    Py_buffer *view;
    const char *formats;
    Py_ssize_t itemsize;
    int writable;
} Want;

/* Every buffer of `wants`, or none (-1 with an exception set). */
static int
get_buffers(Want *wants, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        Want *w = &wants[i];
        if (PyObject_GetBuffer(w->obj, w->view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS |
                                                (w->writable ? PyBUF_WRITABLE : 0)) < 0) {
            goto fail;
        }
        const char *format = w->view->format;
        if (w->view->itemsize != w->itemsize || format == NULL || format[0] == '\0' || format[1] != '\0' ||
            strchr(w->formats, format[0]) == NULL) {
            PyErr_Format(PyExc_TypeError, "expected an array of '%s' items of %zd bytes", w->formats, w->itemsize);
            PyBuffer_Release(w->view);
            goto fail;
        }
        continue;
    fail:
        while (i-- > 0) {
            PyBuffer_Release(wants[i].view);
        }
        return -1;
    }
    return 0;
}

static void
release_buffers(Want *wants, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        PyBuffer_Release(wants[i].view);
    }
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

/* sum() of floats from its start 0, as this interpreter adds them. */
typedef struct {
    double total, compensation;
    Py_ssize_t count;
} FloatSum;

static void
float_sum_add(FloatSum *sum, double x)
{
    if (sum->count++ == 0) {
        volatile double first = 0.0 + x;
        sum->total = first;
        return;
    }
    volatile double t = sum->total + x;
#if PY_VERSION_HEX >= 0x030C0000
    volatile double lost, part;
    if (fabs(sum->total) >= fabs(x)) {
        part = sum->total - t;
        lost = part + x;
    } else {
        part = x - t;
        lost = part + sum->total;
    }
    volatile double compensation = sum->compensation + lost;
    sum->compensation = compensation;
#endif
    sum->total = t;
}

/* The sum's value (0.0 for no items: the int 0 it is then, as a float). */
static double
float_sum_value(const FloatSum *sum)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (sum->compensation != 0.0 && isfinite(sum->compensation)) {
        volatile double total = sum->total + sum->compensation;
        return total;
    }
#endif
    return sum->total;
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

/* vectors(term, counts, offsets, df, docs, keep, out_terms, out_weights, out_offsets) -> entries
 * term, counts: int64 per (article, term) entry; offsets: int64, article i's entries are
 * offsets[i]:offsets[i + 1]; df: int64 per term number, counted up here as the entries come;
 * docs: the article count before the first; keep: the terms kept per article. The logarithms
 * are libm's log(), which math.log calls for the same numbers (the numpy path reads them
 * from a table of math.log values: the same floats). Article i's vector goes
 * to out_terms (int32) and out_weights (float64) at out_offsets[i]:out_offsets[i + 1]
 * (int64, one more than the articles); returns how many entries were written. */
static PyObject *
vectors(PyObject *module, PyObject *args)
{
    PyObject *term_obj, *count_obj, *offset_obj, *df_obj, *out_term_obj, *out_weight_obj, *out_offset_obj;
    long long docs;
    Py_ssize_t keep;
    if (!PyArg_ParseTuple(args, "OOOOLnOOO", &term_obj, &count_obj, &offset_obj, &df_obj, &docs, &keep,
                          &out_term_obj, &out_weight_obj, &out_offset_obj)) {
        return NULL;
    }
    Py_buffer term_view, count_view, offset_view, df_view, out_term_view, out_weight_view, out_offset_view;
    Want wants[] = {{term_obj, &term_view, "ql", 8, 0}, {count_obj, &count_view, "ql", 8, 0},
                    {offset_obj, &offset_view, "ql", 8, 0}, {df_obj, &df_view, "ql", 8, 1},
                    {out_term_obj, &out_term_view, "i", 4, 1}, {out_weight_obj, &out_weight_view, "d", 8, 1},
                    {out_offset_obj, &out_offset_view, "ql", 8, 1}};
    if (get_buffers(wants, 7) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    Ranked *ranked = NULL;
    int32_t *out_terms = out_term_view.buf;
    double *out_weights = out_weight_view.buf;
    int64_t *out_offsets = out_offset_view.buf;
    Py_ssize_t written = 0;
    Py_ssize_t room = out_term_view.len / 4 < out_weight_view.len / 8 ? out_term_view.len / 4 : out_weight_view.len / 8;
    const int64_t *terms = term_view.buf, *counts = count_view.buf, *offsets = offset_view.buf;
    int64_t *df = df_view.buf;
    Py_ssize_t entries = term_view.len / 8, term_count = df_view.len / 8;
    Py_ssize_t n = offset_view.len / 8 - 1;
    if (count_view.len / 8 != entries || n < 0 || (n >= 0 && (offsets[0] != 0 || offsets[n] != entries))) {
        PyErr_SetString(PyExc_ValueError, "the entries, counts and offsets do not agree");
        goto done;
    }
    if (out_offset_view.len / 8 < n + 1) {
        PyErr_SetString(PyExc_ValueError, "out_offsets must have room for one more than the articles");
        goto done;
    }
    ranked = PyMem_Malloc(sizeof(Ranked) * (size_t)(entries + 1));
    if (ranked == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    out_offsets[0] = 0;
    for (Py_ssize_t a = 0; a < n; a++) {
        Py_ssize_t start = (Py_ssize_t)offsets[a], end = (Py_ssize_t)offsets[a + 1];
        if (start > end || end > entries) {
            PyErr_SetString(PyExc_ValueError, "the offsets must go up within the entries");
            goto done;
        }
        long long doc = docs + a + 1;
        volatile double most = log((double)(doc + 1)) + 1.0; /* the idf of a term no other article has had */
        for (Py_ssize_t e = start; e < end; e++) {
            int64_t term = terms[e], count = counts[e];
            if (check_index((Py_ssize_t)term, term_count, "term") < 0 || term > INT32_MAX) {
                goto done;
            }
            int64_t frequency = df[term] + 1; /* the articles before it, and this one */
            df[term] = frequency;
            if (count < 0 || frequency < 0) {
                PyErr_SetString(PyExc_ValueError, "a term's count and document frequency must be 0 or more");
                goto done;
            }
            volatile double tf = 1.0 + (count ? log((double)count) : 0.0); /* (the table's [0] is 0.0) */
            volatile double idf = most - log((double)(frequency + 1));
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
        if (written + kept > room) {
            PyErr_SetString(PyExc_ValueError, "out_terms and out_weights are too short");
            goto done;
        }
        for (Py_ssize_t k = 0; k < kept; k++) {
            volatile double scaled = ranked[k].weight / norm;
            out_terms[written] = (int32_t)terms[ranked[k].at];
            out_weights[written++] = scaled;
        }
        out_offsets[a + 1] = written;
    }
    result = PyLong_FromSsize_t(written);
done:
    PyMem_Free(ranked);
    release_buffers(wants, 7);
    return result;
}

/* What place() works on: the clusterer's settings, arrays and centroids. */
typedef struct {
    Py_ssize_t candidate_terms, rescored, width;
    double join_similarity, undated_similarity;
    int windowed;
    long long window, missing_day;
    /* per term: the ring of its latest stories (listed, listed_weight: term * width + k) */
    int64_t *listings;
    int32_t *listed;
    double *listed_weight;
    Py_ssize_t term_count;
    /* per story number */
    int32_t *size, *head, *tail, *rep, *first, *last;
    double *norm2;
    uint8_t *changed;
    Py_ssize_t story_count;
    /* per row (clustered article); its vector is entries vector_start[row]:vector_start[row + 1] */
    int32_t *story, *next, *day;
    int64_t *vector_start;
    Py_ssize_t row_count;
    /* the vectors' entries held in memory, from entry_base on (older ones: row_vector(row)) */
    int32_t *row_terms;
    double *row_weights;
    Py_ssize_t entries;
    long long entry_base;
    PyObject *centroids, *row_vector;
    /* scratch of rank_candidates: the stories found and their sums */
    int32_t *found_story;
    double *found_dot;
} Placing;

/* The article being placed: its n terms, weights and day. */
typedef struct {
    const int32_t *terms;
    const double *weights;
    Py_ssize_t n;
    long long day;
    int dated;
} Placed;

/* A row's vector read through row_vector(row) -> (array('i'), array('d')): held until released. */
typedef struct {
    PyObject *pair;
    Py_buffer terms, weights;
} Held;

static void
release_held(Held *held)
{
    if (held->pair != NULL) {
        PyBuffer_Release(&held->terms);
        PyBuffer_Release(&held->weights);
        Py_CLEAR(held->pair);
    }
}

/* Row `row`'s vector: in memory, or read through row_vector into `held` (release it after). */
static int
row_vector(Placing *p, Py_ssize_t row, const int32_t **terms, const double **weights, Py_ssize_t *n, Held *held)
{
    held->pair = NULL;
    if (check_index(row, p->row_count, "row") < 0) {
        return -1;
    }
    int64_t start = p->vector_start[row], end = p->vector_start[row + 1];
    if (start >= p->entry_base) {
        if (end < start || end - p->entry_base > p->entries) {
            PyErr_SetString(PyExc_ValueError, "a row's vector lies outside the clusterer's entries");
            return -1;
        }
        *terms = p->row_terms + (start - p->entry_base);
        *weights = p->row_weights + (start - p->entry_base);
        *n = (Py_ssize_t)(end - start);
        return 0;
    }
    PyObject *index = PyLong_FromSsize_t(row);
    if (index == NULL) {
        return -1;
    }
    PyObject *pair = PyObject_CallOneArg(p->row_vector, index);
    Py_DECREF(index);
    if (pair == NULL) {
        return -1;
    }
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
        PyErr_SetString(PyExc_TypeError, "row_vector must return (terms, weights)");
        Py_DECREF(pair);
        return -1;
    }
    Want wants[] = {{PyTuple_GET_ITEM(pair, 0), &held->terms, "i", 4, 0},
                    {PyTuple_GET_ITEM(pair, 1), &held->weights, "d", 8, 0}};
    if (get_buffers(wants, 2) < 0) {
        Py_DECREF(pair);
        return -1;
    }
    held->pair = pair;
    *terms = held->terms.buf;
    *weights = held->weights.buf;
    *n = held->terms.len / 4 < held->weights.len / 8 ? held->terms.len / 4 : held->weights.len / 8;
    return 0;
}

/* Story `story`'s centroid (borrowed), or NULL: none (a story of one article, or removed),
 * or an error (then an exception is set). */
static Centroid *
centroid_of(Placing *p, long story)
{
    PyObject *key = PyLong_FromLong(story);
    if (key == NULL) {
        return NULL;
    }
    PyObject *centroid = PyDict_GetItemWithError(p->centroids, key);
    Py_DECREF(key);
    if (centroid != NULL && !Py_IS_TYPE(centroid, &CentroidType)) {
        PyErr_Format(PyExc_TypeError, "a centroid must be a Centroid, not %.100s", Py_TYPE(centroid)->tp_name);
        return NULL;
    }
    return (Centroid *)centroid;
}

/* StoryClusterer._in_window: a dated article's day within the story's dated span widened by
 * the window (any day where the story has no dated member, or without a window). */
static int
in_window(const Placing *p, int32_t story, long long day)
{
    long long first = p->first[story];
    return !p->windowed || first == p->missing_day || (first - p->window <= day && day <= p->last[story] + p->window);
}

/* StoryClusterer._candidates: the stories to compare in full, best first, in
 * p->found_story[0:*count]. */
static int
rank_candidates(Placing *p, const Placed *a, Py_ssize_t *count)
{
    Py_ssize_t n = a->n < p->candidate_terms ? a->n : p->candidate_terms, width = p->width, found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t term = a->terms[i];
        double weight = a->weights[i];
        int64_t listings_of = p->listings[term];
        Py_ssize_t base = (Py_ssize_t)term * width;
        Py_ssize_t ring_length = listings_of <= width ? (Py_ssize_t)listings_of : width;
        Py_ssize_t turn = listings_of <= width ? 0 : (Py_ssize_t)(listings_of % width);
        for (Py_ssize_t k = 0; k < ring_length; k++) {
            Py_ssize_t at = base + (turn + k) % width; /* oldest first, as they were listed */
            int32_t story = p->listed[at];
            if (check_index(story, p->story_count, "story") < 0) {
                return -1;
            }
            if (a->dated && !in_window(p, story, a->day)) {
                continue; /* outside the time window: never ranked */
            }
            double shared;
            Centroid *centroid = centroid_of(p, story);
            if (centroid == NULL) {
                if (PyErr_Occurred()) {
                    return -1;
                }
                if (!p->size[story]) {
                    continue; /* removed */
                }
                shared = p->listed_weight[at]; /* a story of one article: its own weight */
            } else {
                int present;
                centroid_weight(centroid, (int32_t)term, &shared, &present);
                if (!present) {
                    continue;
                }
            }
            volatile double product = weight * shared;
            Py_ssize_t j = 0;
            while (j < found && p->found_story[j] != story) {
                j++;
            }
            if (j == found) {
                p->found_story[found] = story;
                p->found_dot[found++] = 0.0 + product;
            } else {
                volatile double sum = p->found_dot[j] + product;
                p->found_dot[j] = sum;
            }
        }
    }
    /* The best `rescored` by (dot / length, the earlier story among equals), best first:
     * a selection sort of the few found (at most terms x width). */
    double *similarity = p->found_dot; /* each dot becomes its similarity */
    for (Py_ssize_t j = 0; j < found; j++) {
        double story_length = sqrt(p->norm2[p->found_story[j]]);
        if (story_length == 0.0) {
            PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
            return -1;
        }
        volatile double quotient = similarity[j] / story_length;
        similarity[j] = quotient;
    }
    Py_ssize_t keep = p->rescored < found ? p->rescored : found;
    for (Py_ssize_t r = 0; r < keep; r++) {
        Py_ssize_t best = r;
        for (Py_ssize_t j = r + 1; j < found; j++) {
            if (similarity[j] > similarity[best] ||
                (similarity[j] == similarity[best] && p->found_story[j] < p->found_story[best])) {
                best = j;
            }
        }
        double s = similarity[r];
        int32_t story = p->found_story[r];
        similarity[r] = similarity[best];
        p->found_story[r] = p->found_story[best];
        similarity[best] = s;
        p->found_story[best] = story;
    }
    *count = keep;
    return 0;
}

/* The article's similarity to story `story`: its products with the centroid (or, for a story
 * of one article, with that article's vector, the last of a repeated term winning as in
 * dict(zip(...))), summed as sum() does, over the story's length. */
static int
similarity_to(Placing *p, const Placed *a, int32_t story, double *out)
{
    FloatSum sum = {0.0, 0.0, 0};
    Centroid *centroid = centroid_of(p, story);
    if (centroid != NULL) {
        for (Py_ssize_t i = 0; i < a->n; i++) {
            double shared;
            int present;
            centroid_weight(centroid, a->terms[i], &shared, &present);
            volatile double product = a->weights[i] * shared;
            float_sum_add(&sum, product);
        }
    } else {
        if (PyErr_Occurred()) {
            return -1;
        }
        const int32_t *head_terms;
        const double *head_weights;
        Py_ssize_t head_n;
        Held held;
        if (row_vector(p, p->head[story], &head_terms, &head_weights, &head_n, &held) < 0) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < a->n; i++) {
            double shared = 0.0;
            for (Py_ssize_t j = head_n - 1; j >= 0; j--) {
                if (head_terms[j] == a->terms[i]) {
                    shared = head_weights[j];
                    break;
                }
            }
            volatile double product = a->weights[i] * shared;
            float_sum_add(&sum, product);
        }
        release_held(&held);
    }
    double story_length = sqrt(p->norm2[story]);
    if (story_length == 0.0) {
        PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
        return -1;
    }
    volatile double quotient = float_sum_value(&sum) / story_length;
    *out = quotient;
    return 0;
}

/* StoryClusterer._best_story: the most similar candidate that passes its threshold, or -1. */
static int
best_story(Placing *p, const Placed *a, long *number)
{
    Py_ssize_t count;
    if (rank_candidates(p, a, &count) < 0) {
        return -1;
    }
    long found = -1;
    double best_similarity = 0.0;
    for (Py_ssize_t r = 0; r < count; r++) {
        int32_t story = p->found_story[r];
        double similarity;
        if (similarity_to(p, a, story, &similarity) < 0) {
            return -1;
        }
        int by_content_alone = !a->dated || p->first[story] == p->missing_day;
        double needed = by_content_alone ? p->undated_similarity : p->join_similarity;
        if (similarity >= needed && (found < 0 || similarity > best_similarity)) {
            found = story;
            best_similarity = similarity;
        }
    }
    *number = found;
    return 0;
}

/* StoryClusterer._list: the story is the latest of the term's ring. */
static void
list_story(Placing *p, long number, int32_t term, double weight)
{
    int64_t listed_count = p->listings[term];
    Py_ssize_t at = (Py_ssize_t)term * p->width + (Py_ssize_t)(listed_count % p->width);
    p->listed[at] = (int32_t)number;
    p->listed_weight[at] = weight;
    p->listings[term] = listed_count + 1;
}

/* A story's first member's vector as its centroid (a second member joins), in centroids;
 * room for the second's terms too. */
static Centroid *
make_centroid(Placing *p, PyObject *key, long number, Py_ssize_t more)
{
    const int32_t *terms;
    const double *weights;
    Py_ssize_t n;
    Held held;
    if (row_vector(p, p->head[number], &terms, &weights, &n, &held) < 0) {
        return NULL;
    }
    Centroid *centroid = centroid_new(n + more);
    for (Py_ssize_t j = 0; centroid != NULL && j < n; j++) {
        if (check_index(terms[j], p->term_count, "term") < 0 || centroid_set(centroid, terms[j], weights[j]) < 0) {
            Py_CLEAR(centroid);
        }
    }
    release_held(&held);
    if (centroid == NULL || PyDict_SetItem(p->centroids, key, (PyObject *)centroid) < 0) {
        Py_XDECREF(centroid);
        return NULL;
    }
    Py_DECREF(centroid); /* the clusterer's dict holds it */
    return centroid;
}

/* StoryClusterer._join and _join_terms: row `row` (the article `a`) joins story `number`. */
static int
join_story(Placing *p, const Placed *a, long number, Py_ssize_t row)
{
    if (check_index(number, p->story_count, "story") < 0) {
        return -1;
    }
    p->story[row] = (int32_t)number;
    int32_t size = p->size[number];
    if (size) {
        if (check_index(p->tail[number], p->row_count, "row") < 0) {
            return -1;
        }
        p->next[p->tail[number]] = (int32_t)row;
    } else {
        p->head[number] = p->rep[number] = (int32_t)row;
    }
    p->tail[number] = (int32_t)row;
    p->size[number] = size + 1;
    PyObject *key = PyLong_FromLong(number);
    if (key == NULL) {
        return -1;
    }
    Centroid *centroid = centroid_of(p, number);
    if (centroid == NULL && !PyErr_Occurred() && size) { /* a second member: the first's vector becomes a centroid */
        centroid = make_centroid(p, key, number, a->n);
    }
    Py_DECREF(key);
    if (centroid == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (centroid == NULL || centroid->live == 0) { /* each term new: added, then listed */
        FloatSum squares = {0.0, 0.0, 0};
        for (Py_ssize_t i = 0; i < a->n; i++) {
            if (centroid != NULL && centroid_set(centroid, a->terms[i], a->weights[i]) < 0) {
                return -1;
            }
            volatile double square = a->weights[i] * a->weights[i];
            float_sum_add(&squares, square);
        }
        volatile double norm2 = p->norm2[number] + float_sum_value(&squares);
        p->norm2[number] = norm2;
        for (Py_ssize_t i = 0; i < a->n; i++) {
            list_story(p, number, a->terms[i], a->weights[i]);
        }
    } else {
        double norm2 = p->norm2[number];
        for (Py_ssize_t i = 0; i < a->n; i++) {
            int present;
            double *entry = centroid_entry(centroid, a->terms[i], &present); /* (0.0 where new, as in Python) */
            if (entry == NULL) {
                return -1;
            }
            double weight = a->weights[i], old = *entry;
            volatile double updated = old + weight;
            *entry = updated;
            /* norm2 += 2 * old * weight + weight * weight */
            volatile double twice = 2 * old;
            volatile double cross = twice * weight;
            volatile double square = weight * weight;
            volatile double added = cross + square;
            volatile double total = norm2 + added;
            norm2 = total;
            if (!present) {
                list_story(p, number, a->terms[i], weight);
            }
        }
        p->norm2[number] = norm2;
    }
    long long day = a->day;
    if (day != p->missing_day) {
        long long first = p->first[number];
        if (first == p->missing_day || day < first) {
            p->first[number] = (int32_t)day;
        }
        if (first == p->missing_day || day > p->last[number]) {
            p->last[number] = (int32_t)day;
        }
    }
    p->changed[number] = 1;
    return 0;
}

/* Article i of the run (its entries offsets[i]:offsets[i + 1]) in `a`, its terms checked. */
static int
read_placed(const Placing *p, const int32_t *terms, const double *weights, const int64_t *offsets,
            Py_ssize_t entries, Py_ssize_t i, Placed *a)
{
    int64_t start = offsets[i], end = offsets[i + 1];
    if (start < 0 || end < start || end > entries) {
        PyErr_SetString(PyExc_ValueError, "the run's offsets must go up within its entries");
        return -1;
    }
    a->terms = terms + start;
    a->weights = weights + start;
    a->n = (Py_ssize_t)(end - start);
    for (Py_ssize_t k = 0; k < a->n; k++) {
        if (check_index(a->terms[k], p->term_count, "term") < 0) {
            return -1;
        }
    }
    return 0;
}

#define PLACE_BUFFERS 20

/* place(terms, weights, offsets, first_row, next_story, settings, story_arrays, row_arrays, rings,
 *       centroids, row_vector) -> (story numbers, next_story)
 * terms (int32), weights (float64), offsets (int64): the run's vectors one after another,
 * article i's at offsets[i]:offsets[i + 1], the articles of rows first_row, first_row + 1, ...
 * (appended by the caller, with their days); the story arrays have room for a new story
 * per article from next_story on.
 * settings: (candidate_terms, rescored, width, join_similarity, undated_similarity,
 *            window_days or None, missing_day)
 * story_arrays: (size, head, tail, rep, first, last, norm2, changed)
 * row_arrays: (story, next, day, vector_start, terms, weights, entry_base)
 * rings: (listings, listed, listed_weight); centroids: story number -> Centroid;
 * row_vector(row) -> (array('i'), array('d')): a row whose entries lie before entry_base. */
static PyObject *
place(PyObject *module, PyObject *args)
{
    PyObject *o[PLACE_BUFFERS]; /* every array read through its buffer: views[i] is o[i]'s */
    PyObject *settings, *story_arrays, *row_arrays, *rings, *window;
    Py_ssize_t first_row;
    long next_story;
    Placing p = {0};
    if (!PyArg_ParseTuple(args, "OOOnlO!O!O!O!O!O", &o[17], &o[18], &o[19], &first_row, &next_story,
                          &PyTuple_Type, &settings, &PyTuple_Type, &story_arrays, &PyTuple_Type, &row_arrays,
                          &PyTuple_Type, &rings, &PyDict_Type, &p.centroids, &p.row_vector) ||
        !PyArg_ParseTuple(settings, "nnnddOL", &p.candidate_terms, &p.rescored, &p.width, &p.join_similarity,
                          &p.undated_similarity, &window, &p.missing_day)) {
        return NULL;
    }
    if (p.candidate_terms < 0 || p.rescored < 0 || p.width < 1) {
        PyErr_SetString(PyExc_ValueError, "candidate_terms and rescored must be 0 or more, the rings 1 or more wide");
        return NULL;
    }
    p.windowed = window != Py_None;
    if (p.windowed && (p.window = PyLong_AsLongLong(window)) == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer views[PLACE_BUFFERS];
    if (!PyArg_ParseTuple(rings, "OOO", &o[0], &o[1], &o[2]) ||
        !PyArg_ParseTuple(story_arrays, "OOOOOOOO", &o[3], &o[4], &o[5], &o[6], &o[7], &o[8], &o[9], &o[10]) ||
        !PyArg_ParseTuple(row_arrays, "OOOOOOL", &o[11], &o[12], &o[13], &o[14], &o[15], &o[16], &p.entry_base)) {
        return NULL;
    }
    Want wants[PLACE_BUFFERS] = {
        {o[0], &views[0], "q", 8, 1}, {o[1], &views[1], "i", 4, 1}, {o[2], &views[2], "d", 8, 1},
        {o[3], &views[3], "i", 4, 1}, {o[4], &views[4], "i", 4, 1}, {o[5], &views[5], "i", 4, 1},
        {o[6], &views[6], "i", 4, 1}, {o[7], &views[7], "i", 4, 1}, {o[8], &views[8], "i", 4, 1},
        {o[9], &views[9], "d", 8, 1}, {o[10], &views[10], "B", 1, 1}, {o[11], &views[11], "i", 4, 1},
        {o[12], &views[12], "i", 4, 1}, {o[13], &views[13], "i", 4, 0}, {o[14], &views[14], "q", 8, 0},
        {o[15], &views[15], "i", 4, 0}, {o[16], &views[16], "d", 8, 0}, {o[17], &views[17], "i", 4, 0},
        {o[18], &views[18], "d", 8, 0}, {o[19], &views[19], "ql", 8, 0},
    };
    if (get_buffers(wants, PLACE_BUFFERS) < 0) {
        return NULL;
    }
    PyObject *numbers = NULL, *result = NULL;
    Placed a = {0};
    p.listings = views[0].buf;
    p.listed = views[1].buf;
    p.listed_weight = views[2].buf;
    p.term_count = views[0].len / 8;
    int32_t **story_columns[] = {&p.size, &p.head, &p.tail, &p.rep, &p.first, &p.last};
    p.norm2 = views[9].buf;
    p.changed = views[10].buf;
    p.story_count = views[9].len / 8 < views[10].len ? views[9].len / 8 : views[10].len;
    for (int c = 0; c < 6; c++) {
        *story_columns[c] = views[3 + c].buf;
        p.story_count = views[3 + c].len / 4 < p.story_count ? views[3 + c].len / 4 : p.story_count;
    }
    p.story = views[11].buf;
    p.next = views[12].buf;
    p.day = views[13].buf;
    p.vector_start = views[14].buf;
    p.row_count = views[14].len / 8 - 1;
    for (int c = 11; c < 14; c++) {
        p.row_count = views[c].len / 4 < p.row_count ? views[c].len / 4 : p.row_count;
    }
    p.row_terms = views[15].buf;
    p.row_weights = views[16].buf;
    p.entries = views[15].len / 4 < views[16].len / 8 ? views[15].len / 4 : views[16].len / 8;
    if (views[1].len / 4 / p.width < p.term_count || views[2].len / 8 / p.width < p.term_count) {
        PyErr_SetString(PyExc_ValueError, "the rings do not cover every term");
        goto done;
    }
    const int32_t *terms = views[17].buf;
    const double *weights = views[18].buf;
    const int64_t *offsets = views[19].buf;
    Py_ssize_t entries = views[17].len / 4 < views[18].len / 8 ? views[17].len / 4 : views[18].len / 8;
    Py_ssize_t count = views[19].len / 8 - 1;
    size_t slots = (size_t)(p.candidate_terms * p.width + 1);
    p.found_story = PyMem_Malloc(sizeof(int32_t) * slots);
    p.found_dot = PyMem_Malloc(sizeof(double) * slots);
    if (p.found_story == NULL || p.found_dot == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    numbers = PyList_New(count < 0 ? 0 : count);
    if (numbers == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t row = first_row + i;
        long number = -1;
        int failed = read_placed(&p, terms, weights, offsets, entries, i, &a) < 0 ||
                     check_index(row, p.row_count, "row") < 0;
        if (!failed) {
            a.day = p.day[row];
            a.dated = a.day != p.missing_day;
            failed = best_story(&p, &a, &number) < 0;
        }
        if (!failed && number < 0) {
            number = next_story++;
        }
        failed = failed || join_story(&p, &a, number, row) < 0;
        PyObject *item = failed ? NULL : PyLong_FromLong(number);
        if (item == NULL) {
            goto done;
        }
        PyList_SET_ITEM(numbers, i, item);
    }
    result = Py_BuildValue("(Ol)", numbers, next_story);
done:
    Py_XDECREF(numbers);
    PyMem_Free(p.found_story);
    PyMem_Free(p.found_dot);
    release_buffers(wants, PLACE_BUFFERS);
    return result;
}

#define REP_BUFFERS 8

/* representatives(numbers, size, head, next, rep, vector_start, terms, weights, entry_base, centroids,
 *                 row_vector) -> None
 * StoryClusterer._update_representatives for the story numbers given (int64): each live
 * story's representative (rep, written in place) is its member whose vector has the greatest
 * dot product with the centroid, the earliest to join among equals; a story of one member is
 * its own. size, head, rep: per story; next: per row, the story's next row; vector_start
 * (int64): row r's entries are vector_start[r]:vector_start[r + 1], of terms (int32) and
 * weights (float64) from entry_base on, the earlier ones read through row_vector(row). */
static PyObject *
representatives(PyObject *module, PyObject *args)
{
    PyObject *o[REP_BUFFERS];
    Placing p = {0};
    if (!PyArg_ParseTuple(args, "OOOOOOOOLO!O", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7],
                          &p.entry_base, &PyDict_Type, &p.centroids, &p.row_vector)) {
        return NULL;
    }
    Py_buffer views[REP_BUFFERS];
    Want wants[REP_BUFFERS] = {
        {o[0], &views[0], "ql", 8, 0}, {o[1], &views[1], "i", 4, 0}, {o[2], &views[2], "i", 4, 0},
        {o[3], &views[3], "i", 4, 0},  {o[4], &views[4], "i", 4, 1}, {o[5], &views[5], "q", 8, 0},
        {o[6], &views[6], "i", 4, 0},  {o[7], &views[7], "d", 8, 0},
    };
    if (get_buffers(wants, REP_BUFFERS) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    const int64_t *numbers = views[0].buf;
    Py_ssize_t count = views[0].len / 8;
    const int32_t *size = views[1].buf, *head = views[2].buf;
    int32_t *rep = views[4].buf;
    p.story_count = views[1].len / 4;
    p.story_count = views[2].len / 4 < p.story_count ? views[2].len / 4 : p.story_count;
    p.story_count = views[4].len / 4 < p.story_count ? views[4].len / 4 : p.story_count;
    p.next = views[3].buf;
    p.vector_start = views[5].buf;
    p.row_count = views[5].len / 8 - 1;
    p.row_count = views[3].len / 4 < p.row_count ? views[3].len / 4 : p.row_count;
    p.row_terms = views[6].buf;
    p.row_weights = views[7].buf;
    p.entries = views[6].len / 4 < views[7].len / 8 ? views[6].len / 4 : views[7].len / 8;
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t number = numbers[i];
        if (check_index((Py_ssize_t)number, p.story_count, "story") < 0) {
            goto done;
        }
        int32_t members = size[number], row = head[number], best = row;
        if (members > 1) {
            Centroid *centroid = centroid_of(&p, (long)number);
            if (centroid == NULL) {
                if (!PyErr_Occurred()) {
                    PyErr_Format(PyExc_KeyError, "story %lld has %d members and no centroid", (long long)number,
                                 (int)members);
                }
                goto done;
            }
            double best_dot = -INFINITY;
            for (int32_t k = 0; k < members; k++) {
                const int32_t *terms;
                const double *weights;
                Py_ssize_t n;
                Held held;
                if (row_vector(&p, row, &terms, &weights, &n, &held) < 0) {
                    goto done;
                }
                FloatSum dot = {0.0, 0.0, 0}; /* sum(map(mul, weights, map(centroid.get, terms, 0.0))) */
                for (Py_ssize_t j = 0; j < n; j++) {
                    double shared;
                    int present;
                    centroid_weight(centroid, terms[j], &shared, &present);
                    volatile double product = weights[j] * shared;
                    float_sum_add(&dot, product);
                }
                release_held(&held);
                double value = float_sum_value(&dot);
                if (value > best_dot) {
                    best = row;
                    best_dot = value;
                }
                if (k + 1 < members) {
                    row = p.next[row];
                }
            }
        }
        if (members > 0) {
            rep[number] = best;
        }
    }
    result = Py_NewRef(Py_None);
done:
    release_buffers(wants, REP_BUFFERS);
    return result;
}

static PyMethodDef storykernel_functions[] = {
    {"vectors", vectors, METH_VARARGS,
     "vectors(term, counts, offsets, df, docs, keep, out_terms, out_weights, out_offsets) -> entries: each "
     "article's term numbers and weights written out, the document frequencies df counted up as the articles come "
     "(StoryClusterer.vectors after the terms are numbered)."},
    {"place", place, METH_VARARGS,
     "place(terms, weights, offsets, first_row, next_story, settings, story_arrays, row_arrays, rings, centroids, "
     "row_vector) -> (story numbers, next_story): a run of appended rows placed in stories in order "
     "(StoryClusterer.place_many)."},
    {"representatives", representatives, METH_VARARGS,
     "representatives(numbers, size, head, next, rep, vector_start, terms, weights, entry_base, centroids, "
     "row_vector) -> None: each live story's representative row written into rep "
     "(StoryClusterer._update_representatives)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef storykernel_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "searchkit._storykernel",
    .m_doc = "The inner loops of story clustering in C (optional; see searchkit/engine/stories.py).",
    .m_size = -1,
    .m_methods = storykernel_functions,
};

PyMODINIT_FUNC
PyInit__storykernel(void)
{
    if (PyType_Ready(&CentroidType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&storykernel_module);
    if (module != NULL && PyModule_AddObjectRef(module, "Centroid", (PyObject *)&CentroidType) < 0) {
        Py_CLEAR(module);
    }
    return module;
}
