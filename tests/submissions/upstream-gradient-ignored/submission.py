"""Pool backward that passes back the mask (and the 1 / count share) without d_out: the chain rule's second
factor is missing."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
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
            if mode == 'max':
                window = A_prev[:, y:y + kh, x:x + kw, :].reshape(m, kh * kw, c)
                mask = np.zeros(window.shape)
                np.put_along_axis(mask, np.argmax(window, axis=1)[:, None, :], 1, axis=1)
                dA_prev[:, y:y + kh, x:x + kw, :] += mask.reshape(m, kh, kw, c)
            elif mode == 'avg':
                cells = counted[y:y + kh, x:x + kw]
                dA_prev[:, y:y + kh, x:x + kw, :] += (cells / np.sum(cells))[None, :, :, None]
    return dA_prev[:, top:top + h_prev, left:left + w_prev, :]
