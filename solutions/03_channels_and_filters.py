"""Model answers of 03_channels_and_filters. Generated from course/lessons/03_channels_and_filters.py by `convcourse build-course`: edit the lesson, not this file."""

import numpy as np

def pad_images(images, kernel_shape, padding, stride=(1, 1), dilation=(1, 1)):
    """Zero-pad a batch for a sliding window.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernel_shape : tuple (kh, kw)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    padded : ndarray, shape (m, h + zeros, w + zeros, c), float
    oh, ow : int
        The output size.
    """
    def axis(n, k, s, d, p):
        k_eff = (k - 1) * d + 1
        if isinstance(padding, str) and padding == "same":
            total = max((-(-n // s) - 1) * s + k_eff - n, 0)
            before, after = total // 2, total - total // 2
        elif isinstance(padding, str) and padding == "valid":
            before = after = 0
        else:
            before = after = p
        return (before, after), (n + before + after - k_eff) // s + 1

    ph, pw = (0, 0) if isinstance(padding, str) else padding
    rows, oh = axis(images.shape[1], kernel_shape[0], stride[0], dilation[0], ph)
    cols, ow = axis(images.shape[2], kernel_shape[1], stride[1], dilation[1], pw)
    padded = np.pad(images.astype(float), ((0, 0), rows, cols, (0, 0)))
    return padded, oh, ow

def convolve_channels(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlation of multi-channel images with one filter spanning every channel.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernel : ndarray, shape (kh, kw, c)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow), float
    """
    kh, kw = kernel.shape[:2]
    (sh, sw), (dh, dw) = stride, dilation
    padded, oh, ow = pad_images(images, (kh, kw), padding, stride, dilation)
    out = np.zeros((images.shape[0], oh, ow))
    for a in range(kh):
        for b in range(kw):
            block = padded[:, a * dh:a * dh + (oh - 1) * sh + 1:sh, b * dw:b * dw + (ow - 1) * sw + 1:sw, :]
            out += block @ kernel[a, b]
    return out

def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlation of multi-channel images with a bank of nc filters.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, nc)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow, nc), float
    """
    kh, kw, _, nc = kernels.shape
    (sh, sw), (dh, dw) = stride, dilation
    padded, oh, ow = pad_images(images, (kh, kw), padding, stride, dilation)
    out = np.zeros((images.shape[0], oh, ow, nc))
    for a in range(kh):
        for b in range(kw):
            block = padded[:, a * dh:a * dh + (oh - 1) * sh + 1:sh, b * dw:b * dw + (ow - 1) * sw + 1:sw, :]
            out += block @ kernels[a, b]
    return out

def depthwise_convolve(images, kernels, padding="same", stride=(1, 1)):
    """Depthwise cross-correlation: each channel with its own kernels, channels never mixed.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, multiplier)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow, c * multiplier), float
    """
    kh, kw, c, mult = kernels.shape
    sh, sw = stride
    padded, oh, ow = pad_images(images, (kh, kw), padding, stride)
    out = np.zeros((images.shape[0], oh, ow, c, mult))
    for a in range(kh):
        for b in range(kw):
            block = padded[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
            out += block[..., None] * kernels[a, b]
    return out.reshape(out.shape[:3] + (c * mult,))
