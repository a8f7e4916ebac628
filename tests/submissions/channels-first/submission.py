import numpy as np


def convolve(images, kernels, padding='same', stride=(1, 1), dilation=(1, 1)):
    from numpy.lib.stride_tricks import sliding_window_view
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    sh, sw = stride
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if isinstance(padding, str) and padding == 'same':
        th = max((-(-h // sh) - 1) * sh + ekh - h, 0)
        tw = max((-(-w // sw) - 1) * sw + ekw - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif isinstance(padding, str):
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    x = np.pad(images.astype(float), ((0, 0), pads[0], pads[1], (0, 0)))
    win = sliding_window_view(x, (ekh, ekw), axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
    out = np.einsum('myxcab,abcn->myxn', win, kernels)
    return np.transpose(out, (0, 3, 1, 2))
