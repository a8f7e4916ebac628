"""pool_backward that shares a window's gradient among its tied maxima (CS231n style, channels-last)."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    N, H, W, C = images.shape
    pool_height, pool_width = kernel_shape
    stride_h, stride_w = stride
    _, H_out, W_out, _ = d_out.shape
    pad_top = pad_left = 0
    pad_bottom = pad_right = 0
    if padding == 'same':
        total_h = max((H_out - 1) * stride_h + pool_height - H, 0)
        total_w = max((W_out - 1) * stride_w + pool_width - W, 0)
        pad_top, pad_left = total_h // 2, total_w // 2
        pad_bottom, pad_right = total_h - pad_top, total_w - pad_left
    x = np.pad(images.astype(np.float64), ((0, 0), (pad_top, pad_bottom), (pad_left, pad_right), (0, 0)),
               mode='constant', constant_values=-np.inf)
    inside = np.zeros(x.shape[1:3])
    inside[pad_top:pad_top + H, pad_left:pad_left + W] = 1
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride_h, j * stride_w
            upstream = d_out[:, i, j, :].reshape(N, 1, 1, C)
            if mode == 'max':
                x_pool = x[:, hs:hs + pool_height, ws:ws + pool_width, :]
                max_mask = (x_pool == np.max(x_pool, axis=(1, 2), keepdims=True)).astype(np.float64)
                max_mask /= np.sum(max_mask, axis=(1, 2), keepdims=True)   # share it between equal maxima
                dx[:, hs:hs + pool_height, ws:ws + pool_width, :] += max_mask * upstream
            else:
                cells = inside[hs:hs + pool_height, ws:ws + pool_width]
                dx[:, hs:hs + pool_height, ws:ws + pool_width, :] += (cells / cells.sum())[None, :, :, None] * upstream
    return dx[:, pad_top:pad_top + H, pad_left:pad_left + W, :]
