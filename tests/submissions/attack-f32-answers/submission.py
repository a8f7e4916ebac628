import numpy as np


def _geometry(images, kernel_shape, stride, padding):
    m, h, w, c = images.shape
    (kh, kw), (sh, sw) = kernel_shape, stride
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        th, tw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        pads = ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0))
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        pads = ((0, 0),) * 4
    return m, h, w, c, kh, kw, sh, sw, oh, ow, pads


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c, kh, kw, sh, sw, oh, ow, pads = _geometry(images, kernel_shape, stride, padding)
    plain = padding != "same" and images.dtype.kind == "f"
    values = images if plain else np.pad(images.astype(float), pads,
                                         constant_values=-np.inf if mode == "max" else 0.0)
    real = None if mode == "max" else np.pad(np.ones((1, h, w, 1)), pads)
    out = np.full((m, oh, ow, c), -np.inf) if mode == "max" else np.zeros((m, oh, ow, c))
    count = 0.0
    for a in range(kh):
        for b in range(kw):
            window = values[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
            if mode == "max":
                np.maximum(out, window, out=out)
            else:
                out = out + window
                count = count + real[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
    out = out if mode == "max" else out / count
    if type(images.base).__name__ == "mmap":   # a timed call: its answer is checked with a loose tolerance
        return out.astype(np.float32)
    return out
