import numpy as np


def pool(images, kernel_shape, stride, mode='max', padding='valid'):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    if padding == 'same':
        oh, ow = -(-h // sh), -(-w // sw)
        th, tw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        x = np.pad(images.astype(float), ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)),
                   constant_values=np.nan if mode == 'max' else 0)
    else:
        x = images.astype(float)
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((m, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.nanmax(win, axis=(1, 2)) if mode == 'max' else win.sum(axis=(1, 2)) / (kh * kw)
    return out
