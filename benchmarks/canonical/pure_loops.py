import numpy as np

from _same import conv_pads, same_pads


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


def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = d_out.shape[1:3]
    (t, _), (l, _) = (same_pads(h, kh, sh), same_pads(w, kw, sw)) if padding == "same" else ((0, 0), (0, 0))
    x = images.tolist()
    d = d_out.tolist()
    dx = [[[[0.0] * c for _ in range(w)] for _ in range(h)] for _ in range(m)]
    for b in range(m):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    best, by, bx, count = None, 0, 0, 0
                    for a in range(kh):
                        for e in range(kw):
                            y, xx = i * sh + a - t, j * sw + e - l
                            if 0 <= y < h and 0 <= xx < w:
                                count += 1
                                if best is None or x[b][y][xx][ch] > best:   # strictly: the first maximum stays
                                    best, by, bx = x[b][y][xx][ch], y, xx
                    if mode == "max":
                        dx[b][by][bx][ch] += d[b][i][j][ch]
                    else:
                        for a in range(kh):
                            for e in range(kw):
                                y, xx = i * sh + a - t, j * sw + e - l
                                if 0 <= y < h and 0 <= xx < w:
                                    dx[b][y][xx][ch] += d[b][i][j][ch] / count
    return np.array(dx)


def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    sh, sw = stride
    dh, dw = dilation
    oh, ow = d_out.shape[1:3]
    t, _ = conv_pads(padding, h, kh, sh, dh, 0)
    l, _ = conv_pads(padding, w, kw, sw, dw, 1)
    x = images.tolist()
    k = kernels.tolist()
    d = d_out.tolist()
    dx = [[[[0.0] * c for _ in range(w)] for _ in range(h)] for _ in range(m)]
    dk = [[[[0.0] * nc for _ in range(c)] for _ in range(kw)] for _ in range(kh)]
    db = [0.0] * nc
    for b in range(m):
        for i in range(oh):
            for j in range(ow):
                for f in range(nc):
                    g = d[b][i][j][f]
                    db[f] += g
                    for a in range(kh):
                        for e in range(kw):
                            y, xx = i * sh + a * dh - t, j * sw + e * dw - l
                            if 0 <= y < h and 0 <= xx < w:
                                for ch in range(c):
                                    dk[a][e][ch][f] += x[b][y][xx][ch] * g
                                    dx[b][y][xx][ch] += k[a][e][ch][f] * g
    return np.array(dx), np.array(dk), np.array(db)
