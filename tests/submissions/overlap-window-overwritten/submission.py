"""pool_backward that assigns each window's masked gradient to the whole window, with the tie mask (the form
5 of 70 public solutions have: dx[window] = mask * dout)."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    N, H, W, C = images.shape
    ph, pw = kernel_shape
    sh, sw = stride
    _, Ho, Wo, _ = d_out.shape
    if padding == 'same':
        th = max((Ho - 1) * sh + ph - H, 0)
        tw = max((Wo - 1) * sw + pw - W, 0)
        t, l = th // 2, tw // 2
        b, r = th - t, tw - l
    else:
        t = b = l = r = 0
    x = np.pad(images.astype(float), ((0, 0), (t, b), (l, r), (0, 0)), constant_values=-np.inf)
    real = np.pad(np.ones((H, W)), ((t, b), (l, r)))
    dx = np.zeros(x.shape)
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * sh, i * sh + ph)
            cols = slice(j * sw, j * sw + pw)
            g = d_out[:, i, j, :][:, None, None, :]
            if mode == 'max':
                win = x[:, rows, cols, :]
                mask = win == win.max(axis=(1, 2), keepdims=True)
                dx[:, rows, cols, :] = mask * g
            else:
                n = real[rows, cols]
                dx[:, rows, cols, :] += (n / n.sum())[None, :, :, None] * g
    return dx[:, t:t + H, l:l + W, :]
