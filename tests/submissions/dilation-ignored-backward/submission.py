"""A conv_backward ported from a course without dilation (Holberton's), given the parameter but not using
it: contiguous windows, 'same' padding worked out for the undilated kernel; and a receptive field that
leaves the dilations out."""
import numpy as np


def convolve_backward(d_out, images, kernels, padding='same', stride=(1, 1), dilation=(1, 1)):
    m, h_prev, w_prev, c_prev = images.shape
    kh, kw, c_prev, c_new = kernels.shape
    m, h_new, w_new, c_new = d_out.shape
    sh, sw = stride
    if padding == 'same':
        ph = max((h_new - 1) * sh + kh - h_prev, 0)
        pw = max((w_new - 1) * sw + kw - w_prev, 0)
        pad = ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0))
    elif padding == 'valid':
        pad = ((0, 0), (0, 0), (0, 0), (0, 0))
    else:
        pad = ((0, 0), (padding[0], padding[0]), (padding[1], padding[1]), (0, 0))
    A_prev_pad = np.pad(images.astype(float), pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dW = np.zeros(kernels.shape)
    db = np.sum(d_out, axis=(0, 1, 2))
    for h in range(h_new):
        for w in range(w_new):
            for c in range(c_new):
                v, u = h * sh, w * sw
                dz = d_out[:, h, w, c].reshape(m, 1, 1, 1)
                dA_prev_pad[:, v:v + kh, u:u + kw, :] += kernels[:, :, :, c] * dz
                dW[:, :, :, c] += np.sum(A_prev_pad[:, v:v + kh, u:u + kw, :] * dz, axis=0)
    top, left = pad[1][0], pad[2][0]
    return dA_prev_pad[:, top:top + h_prev, left:left + w_prev, :], dW, db


def receptive_field(layers):
    size, jump = 1, 1
    for kernel, stride, dilation in layers:
        size += (kernel - 1) * jump
        jump *= stride
    return size, jump
