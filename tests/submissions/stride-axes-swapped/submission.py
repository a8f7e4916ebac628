import numpy as np


def convolve_grayscale(images, kernel, padding='same', stride=(1, 1), dilation=(1, 1)):
    m, h, w = images.shape
    kh, kw = kernel.shape
    sh, sw = stride[1], stride[0]
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if isinstance(padding, str) and padding == 'same':
        oh_, ow_ = -(-h // sh), -(-w // sw)
        th = max((oh_ - 1) * sh + ekh - h, 0)
        tw = max((ow_ - 1) * sw + ekw - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif isinstance(padding, str):
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    x = np.pad(images, ((0, 0), pads[0], pads[1])).astype(float)
    oh = (x.shape[1] - ekh) // sh + 1
    ow = (x.shape[2] - ekw) // sw + 1
    out = np.zeros((m, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = np.sum(x[:, i * sh:i * sh + ekh:dh, j * sw:j * sw + ekw:dw] * kernel, axis=(1, 2))
    return out
