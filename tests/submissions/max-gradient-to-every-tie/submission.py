"""pool_backward as most public solutions write it: the mask marks every cell equal to the window's max."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    """Performs back propagation over a pooling layer."""
    m, h_prev, w_prev, c = images.shape
    _, h_new, w_new, _ = d_out.shape
    kh, kw = kernel_shape
    sh, sw = stride
    top = bottom = left = right = 0
    if padding == 'same':
        ph = max((h_new - 1) * sh + kh - h_prev, 0)
        pw = max((w_new - 1) * sw + kw - w_prev, 0)
        top, bottom, left, right = ph // 2, ph - ph // 2, pw // 2, pw - pw // 2
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))
    A_prev = np.pad(images.astype(float), pads, constant_values=-np.inf)
    counted = np.pad(np.ones((h_prev, w_prev)), pads[1:3])
    dA_prev = np.zeros(A_prev.shape)
    for h in range(h_new):
        for w in range(w_new):
            y, x = h * sh, w * sw
            dA = d_out[:, h, w, :][:, None, None, :]
            if mode == 'max':
                A_slice = A_prev[:, y:y + kh, x:x + kw, :]
                mask = A_slice == np.max(A_slice, axis=(1, 2), keepdims=True)
                dA_prev[:, y:y + kh, x:x + kw, :] += mask * dA
            elif mode == 'avg':
                cells = counted[y:y + kh, x:x + kw]
                dA_prev[:, y:y + kh, x:x + kw, :] += (cells / np.sum(cells))[None, :, :, None] * dA
    return dA_prev[:, top:top + h_prev, left:left + w_prev, :]
