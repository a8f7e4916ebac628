"""Average-pool backward ported from a 'valid'-only solution (Holberton's dA / (kh * kw)) to 'same' padding:
pad, spread d_out / (kh * kw) over the whole window, crop; the padded cells take their share."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    m, h_prev, w_prev, c = images.shape
    _, h_new, w_new, _ = d_out.shape
    kh, kw = kernel_shape
    sh, sw = stride
    if padding == 'same':
        ph = max((h_new - 1) * sh + kh - h_prev, 0)
        pw = max((w_new - 1) * sw + kw - w_prev, 0)
        top, left = ph // 2, pw // 2
        pads = ((0, 0), (top, ph - top), (left, pw - left), (0, 0))
    else:
        top = left = 0
        pads = ((0, 0), (0, 0), (0, 0), (0, 0))
    A_prev = np.pad(images.astype(float), pads, constant_values=-np.inf)
    dA_prev = np.zeros(A_prev.shape)
    for h in range(h_new):
        for w in range(w_new):
            y, x = h * sh, w * sw
            dA = d_out[:, h, w, :][:, None, None, :]
            if mode == 'max':
                window = A_prev[:, y:y + kh, x:x + kw, :].reshape(m, -1, c)
                mask = np.zeros(window.shape)
                np.put_along_axis(mask, np.argmax(window, axis=1)[:, None, :], 1, axis=1)
                dA_prev[:, y:y + kh, x:x + kw, :] += mask.reshape(m, kh, kw, c) * dA
            elif mode == 'avg':
                average = dA / (kh * kw)
                dA_prev[:, y:y + kh, x:x + kw, :] += np.ones((1, kh, kw, 1)) * average
    return dA_prev[:, top:top + h_prev, left:left + w_prev, :]
