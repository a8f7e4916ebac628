import numpy as np


def depthwise_convolve(images, kernels, padding='same', stride=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, mult = kernels.shape
    sh, sw = stride
    if isinstance(padding, str) and padding == 'same':
        oh_, ow_ = -(-h // sh), -(-w // sw)
        th, tw = max((oh_ - 1) * sh + kh - h, 0), max((ow_ - 1) * sw + kw - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif isinstance(padding, str):
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    x = np.pad(images.astype(float), ((0, 0), pads[0], pads[1], (0, 0)))
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((m, oh, ow, c * mult))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            for k in range(mult):
                # channel k * c + ci: the multiplier first (Keras puts ci * mult + k)
                out[:, i, j, k * c:(k + 1) * c] = np.sum(win * kernels[:, :, :, k], axis=(1, 2))
    return out
