"""The single-thread mode that timing relies on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from threadpoolctl import threadpool_info

from autograder import reference as R


def _blas_threads():
    return {info["filepath"]: info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def test_single_threaded_pins_every_blas_pool_and_restores_it():
    before = _blas_threads()
    assert before, "no BLAS library found: numba's np.dot needs one"
    with R.single_threaded():
        assert R.num_threads() == 1
        assert set(_blas_threads().values()) == {1}
    assert _blas_threads() == before


def test_threads_rejects_nonsense():
    with pytest.raises(ValueError, match="threads: n must be a positive int; got 0"):
        with R.threads(0):
            pass


def test_single_thread_env_for_child_processes():
    env = R.single_thread_env({"PATH": os.environ.get("PATH", "")})
    code = "from threadpoolctl import threadpool_info; import numpy, numba; " \
           "print(sorted({i['num_threads'] for i in threadpool_info()}), numba.config.NUMBA_NUM_THREADS)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[1]", "1"]
