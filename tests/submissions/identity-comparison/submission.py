import numpy as np


def convolve_grayscale(images, kernel, padding='same', stride=(1, 1), dilation=(1, 1)):
    m, h, w = images.shape
    kh, kw = kernel.shape
    sh, sw = stride
    if padding is 'same':
        ph, pw = (kh - 1) // 2, (kw - 1) // 2
    elif padding is 'valid':
        ph, pw = 0, 0
    else:
        ph, pw = padding
    x = np.pad(images, ((0, 0), (ph, ph), (pw, pw)))
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((m, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = np.sum(x[:, i * sh:i * sh + kh, j * sw:j * sw + kw] * kernel, axis=(1, 2))
    return out
