"""DeepLearning.AI-style backward passes whose windows start at vert_start = h, horiz_start = w: the stride
is left out (its tests use stride 1). The same student's pool and conv."""
import numpy as np


def create_mask_from_window(x):
    """1 at the window's first maximum (row-major), 0 elsewhere; x is (m, f_h, f_w, c)."""
    m, f_h, f_w, c = x.shape
    flat = x.reshape(m, f_h * f_w, c)
    mask = np.zeros(flat.shape)
    np.put_along_axis(mask, np.argmax(flat, axis=1)[:, None, :], 1.0, axis=1)
    return mask.reshape(x.shape)


def distribute_value(dz, cells):
    """dz (m, c) spread evenly over the counted cells of the window."""
    return dz[:, None, None, :] * (cells / np.sum(cells))[None, :, :, None]


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    m, n_H_prev, n_W_prev, n_C = images.shape
    m, n_H, n_W, n_C = d_out.shape
    f_h, f_w = kernel_shape
    s_h, s_w = stride
    pad_t = pad_b = pad_l = pad_r = 0
    if padding == 'same':
        total_h = max((n_H - 1) * s_h + f_h - n_H_prev, 0)
        total_w = max((n_W - 1) * s_w + f_w - n_W_prev, 0)
        pad_t, pad_l = total_h // 2, total_w // 2
        pad_b, pad_r = total_h - pad_t, total_w - pad_l
    A_prev = np.pad(images.astype(float), ((0, 0), (pad_t, pad_b), (pad_l, pad_r), (0, 0)),
                    constant_values=-np.inf)
    cells = np.pad(np.ones((n_H_prev, n_W_prev)), ((pad_t, pad_b), (pad_l, pad_r)))
    dA_prev = np.zeros(A_prev.shape)
    for h in range(n_H):
        for w in range(n_W):
            vert_start = h
            vert_end = vert_start + f_h
            horiz_start = w
            horiz_end = horiz_start + f_w
            if mode == 'max':
                a_prev_slice = A_prev[:, vert_start:vert_end, horiz_start:horiz_end, :]
                mask = create_mask_from_window(a_prev_slice)
                dA_prev[:, vert_start:vert_end, horiz_start:horiz_end, :] += mask * d_out[:, h, w, :][:, None, None, :]
            elif mode == 'avg':
                dA_prev[:, vert_start:vert_end, horiz_start:horiz_end, :] += distribute_value(
                    d_out[:, h, w, :], cells[vert_start:vert_end, horiz_start:horiz_end])
    return dA_prev[:, pad_t:pad_t + n_H_prev, pad_l:pad_l + n_W_prev, :]


def convolve_backward(d_out, images, kernels, padding='same', stride=(1, 1), dilation=(1, 1)):
    m, n_H_prev, n_W_prev, n_C_prev = images.shape
    f_h, f_w, n_C_prev, n_C = kernels.shape
    m, n_H, n_W, n_C = d_out.shape
    s_h, s_w = stride
    d_h, d_w = dilation
    span_h, span_w = (f_h - 1) * d_h + 1, (f_w - 1) * d_w + 1
    if padding == 'same':
        total_h = max((n_H - 1) * s_h + span_h - n_H_prev, 0)
        total_w = max((n_W - 1) * s_w + span_w - n_W_prev, 0)
        pad_t, pad_l = total_h // 2, total_w // 2
        pad_b, pad_r = total_h - pad_t, total_w - pad_l
    elif padding == 'valid':
        pad_t = pad_b = pad_l = pad_r = 0
    else:
        pad_t = pad_b = padding[0]
        pad_l = pad_r = padding[1]
    A_prev_pad = np.pad(images.astype(float), ((0, 0), (pad_t, pad_b), (pad_l, pad_r), (0, 0)))
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dW = np.zeros(kernels.shape)
    db = np.zeros(n_C)
    for h in range(n_H):
        for w in range(n_W):
            vert_start = h
            vert_end = vert_start + span_h
            horiz_start = w
            horiz_end = horiz_start + span_w
            a_slice = A_prev_pad[:, vert_start:vert_end:d_h, horiz_start:horiz_end:d_w, :]
            for c in range(n_C):
                dz = d_out[:, h, w, c][:, None, None, None]
                dA_prev_pad[:, vert_start:vert_end:d_h, horiz_start:horiz_end:d_w, :] += kernels[:, :, :, c] * dz
                dW[:, :, :, c] += np.sum(a_slice * dz, axis=0)
                db[c] += np.sum(d_out[:, h, w, c])
    return dA_prev_pad[:, pad_t:pad_t + n_H_prev, pad_l:pad_l + n_W_prev, :], dW, db
