"""Model answers of 02_padding_stride_dilation. Generated from course/lessons/02_padding_stride_dilation.py by `convcourse build-course`: edit the lesson, not this file."""

import numpy as np

def conv_output_size(n, k, padding="valid", stride=1, dilation=1):
    """Number of output positions along one axis.

    Parameters
    ----------
    n, k : int
        Input size and kernel size.
    padding : {'valid', 'same'} or int
        'valid' (no zeros), 'same' (Keras' rule) or p zeros on each side.
    stride, dilation : int

    Returns
    -------
    int
    """
    k_eff = (k - 1) * dilation + 1
    if isinstance(padding, str) and padding == "same":
        return -(-n // stride)
    total = 0 if isinstance(padding, str) and padding == "valid" else 2 * padding
    return (n + total - k_eff) // stride + 1

def convolve_grayscale_same(images, kernel):
    """'same' cross-correlation of grayscale images (Keras' padding: the extra zero after).

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h, w), float
    """
    m, h, w = images.shape
    kh, kw = kernel.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(images.astype(float), ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left)))
    out = np.zeros((m, h, w))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[:, a:a + h, b:b + w]
    return out

def convolve_grayscale_padding(images, kernel, padding):
    """Cross-correlation of grayscale images with ph zeros above and below, pw left and right.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)
    padding : tuple of 2 ints (ph, pw)

    Returns
    -------
    ndarray, shape (m, h + 2 ph - kh + 1, w + 2 pw - kw + 1), float
    """
    ph, pw = padding
    kh, kw = kernel.shape
    padded = np.pad(images.astype(float), ((0, 0), (ph, ph), (pw, pw)))
    oh, ow = padded.shape[1] - kh + 1, padded.shape[2] - kw + 1
    out = np.zeros((images.shape[0], oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[:, a:a + oh, b:b + ow]
    return out

def convolve_grayscale(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlation of grayscale images with padding, stride and dilation.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow), float
    """
    m, h, w = images.shape
    kh, kw = kernel.shape
    (sh, sw), (dh, dw) = stride, dilation
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if isinstance(padding, str) and padding == "same":
        th = max((-(-h // sh) - 1) * sh + eh - h, 0)
        tw = max((-(-w // sw) - 1) * sw + ew - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif isinstance(padding, str) and padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    padded = np.pad(images.astype(float), ((0, 0),) + pads)
    oh = (padded.shape[1] - eh) // sh + 1
    ow = (padded.shape[2] - ew) // sw + 1
    out = np.zeros((m, oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[:, a * dh:a * dh + (oh - 1) * sh + 1:sh,
                                         b * dw:b * dw + (ow - 1) * sw + 1:sw]
    return out
