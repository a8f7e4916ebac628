import numpy as np


def convolve_channels(images, kernel, padding='same', stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _ = kernel.shape
    sh, sw = stride
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if isinstance(padding, str) and padding == 'same':
        oh_, ow_ = -(-h // sh), -(-w // sw)
        th, tw = max((oh_ - 1) * sh + ekh - h, 0), max((ow_ - 1) * sw + ekw - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif isinstance(padding, str):
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    x = np.pad(images.astype(float), ((0, 0), pads[0], pads[1], (0, 0)))
    oh, ow = (x.shape[1] - ekh) // sh + 1, (x.shape[2] - ekw) // sw + 1
    out = np.zeros((m, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * sh:i * sh + ekh:dh, j * sw:j * sw + ekw:dw, :]
            out[:, i, j] = np.sum(win * kernel, axis=(1, 2)).mean(axis=-1)   # the channels averaged
    return out
