import numpy as np

from _same import same_pads


def convolve_grayscale_same(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    (t, _), (l, _) = same_pads(h, kh), same_pads(w, kw)
    x = images.tolist()
    k = kernel.tolist()
    out = np.zeros((m, h, w))
    for b in range(m):
        for i in range(h):
            for j in range(w):
                total = 0.0
                for a in range(kh):
                    for c in range(kw):
                        y, xx = i + a - t, j + c - l
                        if 0 <= y < h and 0 <= xx < w:
                            total += x[b][y][xx] * k[a][c]
                out[b, i, j] = total
    return out


def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    (t, _), (l, _) = same_pads(h, kh), same_pads(w, kw)
    x = images.tolist()
    k = kernels.tolist()
    out = np.zeros((m, h, w, nc))
    for b in range(m):
        for i in range(h):
            for j in range(w):
                for f in range(nc):
                    total = 0.0
                    for a in range(kh):
                        for d in range(kw):
                            y, xx = i + a - t, j + d - l
                            if 0 <= y < h and 0 <= xx < w:
                                for ch in range(c):
                                    total += x[b][y][xx][ch] * k[a][d][ch][f]
                    out[b, i, j, f] = total
    return out


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    x = images.tolist()
    out = np.zeros((m, oh, ow, c))
    for b in range(m):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    best = x[b][i * sh][j * sw][ch]
                    for a in range(kh):
                        for d in range(kw):
                            best = max(best, x[b][i * sh + a][j * sw + d][ch])
                    out[b, i, j, ch] = best
    return out
