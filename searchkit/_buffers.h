/* A buffer helper shared by the C kernels that read numpy arrays (searchkit/_scoring.c,
 * searchkit/_speedups.c): an array of another type than the kernel reads is declined (0), so
 * the caller can run its numpy or Python reference instead. Include after Python.h and
 * string.h. */
#ifndef SEARCHKIT_BUFFERS_H
#define SEARCHKIT_BUFFERS_H

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

#endif
