import numpy as np


def pool(images, kernel_shape, stride, mode='max', padding='valid'):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    if padding == 'same':
        oh, ow = -(-h // sh), -(-w // sw)
        th, tw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    else:
        pads = ((0, 0), (0, 0))
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    x = np.pad(images.astype(float), ((0, 0), pads[0], pads[1], (0, 0)))   # zeros, for both modes
    out = np.zeros((m, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = win.max(axis=(1, 2)) if mode == 'max' else win.mean(axis=(1, 2))
    return out
