"""The gradient allocated like the images (np.zeros_like on the images, or on their np.pad): fine for float
images, a casting error for uint8 ones (7 of 26 pool and 6 of 26 conv solutions); and CS231n's numerical
gradient template, which perturbs x in place in its own dtype."""
import numpy as np


def pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid'):
    m, h_prev, w_prev, c = images.shape
    _, h_new, w_new, _ = d_out.shape
    kh, kw = kernel_shape
    sh, sw = stride
    top = bottom = left = right = 0
    if padding == 'same':
        ph = max((h_new - 1) * sh + kh - h_prev, 0)
        pw = max((w_new - 1) * sw + kw - w_prev, 0)
        top, bottom, left, right = ph // 2, ph - ph // 2, pw // 2, pw - pw // 2
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))
    A_prev = np.pad(images.astype(float), pads, constant_values=-np.inf)
    counted = np.pad(np.ones((h_prev, w_prev)), pads[1:3])
    dA_prev = np.pad(np.zeros_like(images), pads)
    for h in range(h_new):
        for w in range(w_new):
            y, x = h * sh, w * sw
            dA = d_out[:, h, w, :][:, None, None, :]
            if mode == 'max':
                window = A_prev[:, y:y + kh, x:x + kw, :].reshape(m, kh * kw, c)
                mask = np.zeros(window.shape)
                np.put_along_axis(mask, np.argmax(window, axis=1)[:, None, :], 1, axis=1)
                dA_prev[:, y:y + kh, x:x + kw, :] += mask.reshape(m, kh, kw, c) * dA
            elif mode == 'avg':
                cells = counted[y:y + kh, x:x + kw]
                dA_prev[:, y:y + kh, x:x + kw, :] += (cells / np.sum(cells))[None, :, :, None] * dA
    return dA_prev[:, top:top + h_prev, left:left + w_prev, :]


def convolve_backward(d_out, images, kernels, padding='same', stride=(1, 1), dilation=(1, 1)):
    m, h_prev, w_prev, c_prev = images.shape
    kh, kw, _, nc = kernels.shape
    _, h_new, w_new, _ = d_out.shape
    sh, sw = stride
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == 'same':
        th = max((h_new - 1) * sh + ekh - h_prev, 0)
        tw = max((w_new - 1) * sw + ekw - w_prev, 0)
        top, bottom, left, right = th // 2, th - th // 2, tw // 2, tw - tw // 2
    elif padding == 'valid':
        top = bottom = left = right = 0
    else:
        top = bottom = padding[0]
        left = right = padding[1]
    A_prev_pad = np.pad(images, ((0, 0), (top, bottom), (left, right), (0, 0)))
    dA_prev_pad = np.zeros_like(A_prev_pad)
    dW = np.zeros_like(kernels)
    for h in range(h_new):
        for w in range(w_new):
            y, x = h * sh, w * sw
            a_slice = A_prev_pad[:, y:y + ekh:dh, x:x + ekw:dw, :]
            for f in range(nc):
                dz = d_out[:, h, w, f][:, None, None, None]
                dA_prev_pad[:, y:y + ekh:dh, x:x + ekw:dw, :] += kernels[:, :, :, f] * dz
                dW[:, :, :, f] += np.sum(a_slice * dz, axis=0)
    db = np.sum(d_out, axis=(0, 1, 2))
    return dA_prev_pad[:, top:top + h_prev, left:left + w_prev, :], dW, db


def numerical_gradient(f, x, eps=1e-6):
    """CS231n's eval_numerical_gradient: x is changed in place and put back."""
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        oldval = x[ix]
        x[ix] = oldval + eps
        fxph = f(x)
        x[ix] = oldval - eps
        fxmh = f(x)
        x[ix] = oldval
        grad[ix] = (fxph - fxmh) / (2 * eps)
    return grad
