"""pool_backward that finds each window's first maximum and assigns the gradient there (CS231n style, 11 of
34 there): where windows overlap, a cell that is the max of two windows keeps only the last one's."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    N, H, W, C = images.shape
    HH, WW = kernel_shape
    sh, sw = stride
    _, H_out, W_out, _ = d_out.shape
    pt = pb = pl = pr = 0
    if padding == 'same':
        th, tw = max((H_out - 1) * sh + HH - H, 0), max((W_out - 1) * sw + WW - W, 0)
        pt, pb, pl, pr = th // 2, th - th // 2, tw // 2, tw - tw // 2
    x = np.pad(images.astype(float), ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=-np.inf)
    ones = np.pad(np.ones((H, W)), ((pt, pb), (pl, pr)))
    dx = np.zeros(x.shape)
    n_idx = np.arange(N)[:, None]
    c_idx = np.arange(C)[None, :]
    for i in range(H_out):
        for j in range(W_out):
            if mode == 'max':
                window = x[:, i * sh:i * sh + HH, j * sw:j * sw + WW, :].reshape(N, HH * WW, C)
                r, q = np.unravel_index(np.argmax(window, axis=1), (HH, WW))
                dx[n_idx, i * sh + r, j * sw + q, c_idx] = d_out[:, i, j, :]
            else:
                cells = ones[i * sh:i * sh + HH, j * sw:j * sw + WW]
                dx[:, i * sh:i * sh + HH, j * sw:j * sw + WW, :] += \
                    (cells / cells.sum())[None, :, :, None] * d_out[:, i, j, None, None, :]
    return dx[:, pt:pt + H, pl:pl + W, :]
