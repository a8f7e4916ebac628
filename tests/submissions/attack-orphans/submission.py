import numpy as np


import os
import subprocess
import sys
import time

subprocess.Popen([sys.executable, "-c", "import time; time.sleep(987651)"], start_new_session=True)


def convolve_grayscale_valid(images, kernel):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(987652)"], start_new_session=True)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:   # a grandchild, orphaned at once: nobody waits for it
            time.sleep(987653)
        os._exit(0)
    raise RuntimeError("left children behind")
