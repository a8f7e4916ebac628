import numpy as np


def pool(images, kernel_shape, stride, mode='max'):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((m, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = images[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = win.max(axis=(1, 2)) if mode == 'max' else win.mean(axis=(1, 2))
    return out
