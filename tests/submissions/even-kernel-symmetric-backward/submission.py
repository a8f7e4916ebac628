"""Holberton's conv_backward with the ceil formula (11 of 26 there): ceil(((h - 1) * s + k - h) / 2) zeros on
each side, which is k // 2 at stride 1 (one zero too many above an even kernel) and pads for an output of
the input's size at stride 2."""
import numpy as np


def convolve_backward(d_out, images, kernels, padding='same', stride=(1, 1), dilation=(1, 1)):
    """Performs back propagation over a convolutional layer."""
    m, h_prev, w_prev, c_prev = images.shape
    kh, kw, _, c_new = kernels.shape
    _, h_new, w_new, _ = d_out.shape
    sh, sw = stride
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == 'same':
        ph = int(np.ceil(((h_prev - 1) * sh + ekh - h_prev) / 2))
        pw = int(np.ceil(((w_prev - 1) * sw + ekw - w_prev) / 2))
    elif padding == 'valid':
        ph, pw = 0, 0
    else:
        ph, pw = padding
    top = bottom = ph
    left = right = pw
    A_prev = np.pad(images.astype(float), ((0, 0), (top, bottom), (left, right), (0, 0)))
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(kernels.shape)
    for h in range(h_new):
        for w in range(w_new):
            y, x = h * sh, w * sw
            a_slice = A_prev[:, y:y + ekh:dh, x:x + ekw:dw, :]
            for c in range(c_new):
                dz = d_out[:, h, w, c][:, None, None, None]
                dA_prev[:, y:y + ekh:dh, x:x + ekw:dw, :] += kernels[:, :, :, c] * dz
                dW[:, :, :, c] += np.sum(a_slice * dz, axis=0)
    db = np.sum(d_out, axis=(0, 1, 2))
    return dA_prev[:, top:top + h_prev, left:left + w_prev, :], dW, db
