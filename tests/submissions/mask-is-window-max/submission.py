"""DLAI-style pool backward whose create_mask_from_window returns the window's maximum instead of a mask."""
import numpy as np


def create_mask_from_window(x):
    mask = np.max(x, axis=(1, 2), keepdims=True)
    return mask


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    m, n_H_prev, n_W_prev, n_C = images.shape
    _, n_H, n_W, _ = d_out.shape
    f_h, f_w = kernel_shape
    s_h, s_w = stride
    pt = pb = pl = pr = 0
    if padding == 'same':
        th = max((n_H - 1) * s_h + f_h - n_H_prev, 0)
        tw = max((n_W - 1) * s_w + f_w - n_W_prev, 0)
        pt, pl = th // 2, tw // 2
        pb, pr = th - pt, tw - pl
    A_prev = np.pad(images.astype(float), ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=-np.inf)
    cells = np.pad(np.ones((n_H_prev, n_W_prev)), ((pt, pb), (pl, pr)))
    dA_prev = np.zeros(A_prev.shape)
    for h in range(n_H):
        for w in range(n_W):
            vert_start, horiz_start = h * s_h, w * s_w
            vert_end, horiz_end = vert_start + f_h, horiz_start + f_w
            da = d_out[:, h, w, :][:, None, None, :]
            if mode == 'max':
                a_prev_slice = A_prev[:, vert_start:vert_end, horiz_start:horiz_end, :]
                mask = create_mask_from_window(a_prev_slice)
                dA_prev[:, vert_start:vert_end, horiz_start:horiz_end, :] += mask * da
            elif mode == 'avg':
                counted = cells[vert_start:vert_end, horiz_start:horiz_end]
                dA_prev[:, vert_start:vert_end, horiz_start:horiz_end, :] += \
                    (counted / counted.sum())[None, :, :, None] * da
    return dA_prev[:, pt:pt + n_H_prev, pl:pl + n_W_prev, :]
