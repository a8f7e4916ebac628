"""conv_backward whose d_kernels read each window at (h * sh, w * sw) but whose d_images scatter to (h, w)."""
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
        total_h = max((h_new - 1) * sh + ekh - h_prev, 0)
        total_w = max((w_new - 1) * sw + ekw - w_prev, 0)
        top, left = total_h // 2, total_w // 2
        bottom, right = total_h - top, total_w - left
    elif padding == 'valid':
        top = bottom = left = right = 0
    else:
        top = bottom = padding[0]
        left = right = padding[1]
    A_prev = np.pad(images.astype(float), ((0, 0), (top, bottom), (left, right), (0, 0)))
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(kernels.shape)
    for h in range(h_new):
        for w in range(w_new):
            y, x = h * sh, w * sw
            a_slice = A_prev[:, y:y + ekh:dh, x:x + ekw:dw, :]
            for c in range(c_new):
                dz = d_out[:, h, w, c][:, None, None, None]
                dA_prev[:, h:h + ekh:dh, w:w + ekw:dw, :] += kernels[:, :, :, c] * dz
                dW[:, :, :, c] += np.sum(a_slice * dz, axis=0)
    db = np.sum(d_out, axis=(0, 1, 2))
    return dA_prev[:, top:top + h_prev, left:left + w_prev, :], dW, db
