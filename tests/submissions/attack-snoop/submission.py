import numpy as np

# Looks everywhere it can for what it must not see: the course secret and the student id (in its own
# environment, in every visible process's environment and command line), the reference, the model answers,
# other students' files and the class records, the cgroup files. A correct function, which returns zeros
# (a wrong answer) if it found anything: a "passed" verdict means nothing leaked.
import os

MARKERS = (b"golden-secret-", b"CONVCOURSE_SECRET")
FORBIDDEN_NAMES = {"solutions", "autograder", "convcourse", "grades.csv", ".done", "expected.json", "cgroup.procs",
                   "cpuacct.usage", "nbgrader_config.py", "gradebook.db"}
found = []

for key, value in os.environ.items():
    if any(m.decode() in key + "=" + value for m in MARKERS):
        found.append(f"environ {key}")
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for part in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if any(m in data for m in MARKERS) or b"pytest" in data or b"golden" in data:
                found.append(f"/proc/{pid}/{part}")
for top in ("/",):
    for folder, dirs, files in os.walk(top):
        if folder.startswith(("/proc", "/usr/lib", "/opt/sandbox/packages", "/dev")):
            dirs[:] = []
            continue
        hits = FORBIDDEN_NAMES & set(dirs + files)
        if hits:
            found.append(f"{folder}: {sorted(hits)}")
try:
    import autograder  # noqa: F401
    found.append("import autograder")
except ImportError:
    pass


def convolve_grayscale_valid(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    if found:
        return out
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * images[:, i:i + h - kh + 1, j:j + w - kw + 1]
    return out
