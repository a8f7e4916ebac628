"""Static rules: loop budget across helpers and comprehensions, imports, calls, `is` comparisons."""

from __future__ import annotations

from autograder.exercises import registry
from autograder.grading.rules import borrowed_answers, check_rules, identity_comparisons
from autograder.grading.submission import Source, Submission


def _sub(code: str) -> Submission:
    return Submission("s.py", [Source("s.py", code, "s.py")])


def _rules(code, slug="convolve_grayscale_valid"):
    return {r.id: r for r in check_rules(_sub(code), registry.get(slug))}


def test_loops_in_helpers_and_comprehensions_count_once_each():
    code = (
        "import numpy as np\n"
        "def helper(x):\n    return [v for v in x]\n"
        "def other(x):\n    for i in x:\n        pass\n    return helper(x)\n"
        "def convolve_grayscale_valid(images, kernel):\n"
        "    for i in range(2):\n        helper(images)\n    return other(images) and helper(images)\n"
    )
    r = _rules(code)["loop-budget"]
    assert not r.passed and r.message.startswith("3 for loops (budget 2)")
    assert "s.py, line" in r.line


def test_within_budget_and_while_forbidden():
    ok = "def convolve_grayscale_valid(images, kernel):\n    for i in range(3):\n        for j in range(3):\n            pass\n"
    assert _rules(ok)["loop-budget"].passed
    bad = "def convolve_grayscale_valid(images, kernel):\n    while False:\n        pass\n"
    r = _rules(bad)["loop-budget"]
    assert not r.passed and "`while` is not allowed" in r.message and "line 2" in r.message


def test_imports_and_forbidden_calls_name_their_line():
    code = ("import numpy as np\nimport os\nfrom numpy import convolve as cv\n"
            "def convolve_grayscale_valid(images, kernel):\n"
            "    m = __import__('scipy.signal')\n    return cv(images, kernel)\n")
    r = _rules(code)
    assert not r["forbidden-import"].passed and "line 2" in r["forbidden-import"].message
    assert not r["forbidden-call"].passed and "calls numpy.convolve" in r["forbidden-call"].message
    dynamic = "import numpy as np\ndef convolve_grayscale_valid(images, kernel):\n    return __import__(kernel)\n"
    assert "chosen at run time" in _rules(dynamic)["forbidden-import"].message


def test_numpy_submodules_and_math_are_allowed():
    code = ("import math\nimport numpy as np\nfrom numpy.lib.stride_tricks import sliding_window_view\n"
            "def convolve_grayscale_valid(images, kernel):\n    return np.einsum('i->i', images)\n")
    assert all(r.passed for r in _rules(code).values())


def test_identity_comparisons_with_literals_and_types():
    code = ("def convolve_grayscale(images, kernel, padding='same', stride=(1, 1), dilation=(1, 1)):\n"
            "    if padding is 'same':\n        pass\n    if padding is tuple:\n        pass\n"
            "    if stride is None:\n        pass\n    if type(padding) is tuple:\n        pass\n")
    found = identity_comparisons(_sub(code), "convolve_grayscale")
    # a value compared with a type is the bug; `type(x) is tuple` is right (there is one tuple type)
    assert [f.line.split(": ")[0] for f in found] == ["s.py, line 2", "s.py, line 4"]


def test_a_folder_may_import_its_own_files(tmp_path):
    from autograder.grading.grade import grade_path

    (tmp_path / "0-convolve_grayscale_valid.py").write_text(
        "import numpy as np\n\n\ndef convolve_grayscale_valid(images, kernel):\n"
        "    from numpy.lib.stride_tricks import sliding_window_view\n"
        "    win = sliding_window_view(images.astype(float), kernel.shape, axis=(1, 2))\n"
        "    return np.einsum('myxab,ab->myx', win, kernel)\n")
    (tmp_path / "1-convolve_grayscale_padding.py").write_text(
        "import numpy as np\nvalid = __import__('0-convolve_grayscale_valid').convolve_grayscale_valid\n\n\n"
        "def convolve_grayscale_padding(images, kernel, padding):\n"
        "    ph, pw = padding\n    return valid(np.pad(images, ((0, 0), (ph, ph), (pw, pw))), kernel)\n")
    result = {e.slug: e for e in grade_path(tmp_path).exercises}
    for slug in ("convolve_grayscale_valid", "convolve_grayscale_padding"):
        assert result[slug].status == "passed" and all(r.passed for r in result[slug].rules), result[slug].rules


def test_every_fft_transform_is_a_forbidden_call():
    """A convolution by FFT in any number of dimensions does the exercise (the attacker used rfftn)."""
    for call in ("np.fft.rfftn(images, axes=(1, 2))", "np.fft.irfftn(x)", "np.fft.fftn(x)", "np.fft.fft(x)",
                 "np.fft.rfft2(x)"):
        code = f"import numpy as np\ndef convolve_grayscale_valid(images, kernel):\n    x = images\n    return {call}\n"
        assert not _rules(code)["forbidden-call"].passed, call
    ok = "import numpy as np\ndef convolve_grayscale_valid(images, kernel):\n    return np.fft.fftfreq(3)\n"
    assert _rules(ok)["forbidden-call"].passed


def test_forbidden_calls_through_names_bound_to_them():
    """attack-call-aliases: a module bound to a name (in the file or a function), a function bound to one,
    and chains of them, are read as what they name; a name bound to an array's attribute is not a module."""
    code = (
        "import numpy as np\n"
        "spectral = np.fft\n"
        "again = spectral\n"
        "def convolve_grayscale_valid(images, kernel):\n"
        "    shape = images.shape\n"
        "    forward = again.rfft2\n"
        "    return forward(images) + shape.count(1)\n"
    )
    r = _rules(code)["forbidden-call"]
    assert not r.passed and r.message.startswith("calls numpy.fft.rfft2 (") and r.message.count("calls ") == 1
    clean = "import numpy as np\ndef convolve_grayscale_valid(images, kernel):\n    pad = np.pad\n    return pad(images, 1)\n"
    assert _rules(clean)["forbidden-call"].passed


def test_loops_in_class_methods_and_named_lambdas_count_and_while_there_is_caught():
    code = ("class Layer:\n    def forward(self, x):\n        for i in x:\n            pass\n"
            "    def backward(self, x):\n        return [v for v in x]\n"
            "pad = lambda x: [[v for v in r] for r in x]\n"
            "def convolve_grayscale_valid(images, kernel):\n    pad(images)\n    return Layer().forward(images)\n")
    r = _rules(code)["loop-budget"]
    assert not r.passed and r.message.startswith("4 for loops (budget 2)"), r.message
    looping = "class Layer:\n    def run(self):\n        while True:\n            pass\n" \
              "def convolve_grayscale_valid(images, kernel):\n    return Layer().run()\n"
    r = _rules(looping)["loop-budget"]
    assert not r.passed and "`while` is not allowed" in r.message and "line 3" in r.message


def test_the_small_exercises_have_the_import_and_call_rules_too():
    code = "def conv_output_size(n, k, padding='valid', stride=1, dilation=1):\n    import scipy\n    return n\n"
    rules = _rules(code, "output_size")
    assert set(rules) == {"forbidden-import", "forbidden-call"}   # no loop budget: the catalogue gives none
    assert not rules["forbidden-import"].passed and "line 2" in rules["forbidden-import"].line


def test_borrowed_answers_are_found_by_every_route_the_source_shows():
    code = ("from autograder.reference import pool as p\nimport importlib\n"
            "def global_average_pool(images):\n    return p(images)\n"
            "def pool(images, kernel_shape, stride, mode='max', padding='valid'):\n"
            "    return importlib.import_module('autograder' + '.reference').pool(images, kernel_shape, stride)\n"
            "def conv_output_size(n, k, padding='valid', stride=1, dilation=1):\n"
            "    from solutions import conv_output_size as c\n    return c(n, k)\n"
            "def convolve_grayscale_valid(images, kernel):\n    return images\n")
    sub = _sub(code)
    found = {slug: [(f.line, f.text) for f in borrowed_answers(sub, registry.get(slug))]
             for slug in ("global_average_pool", "pool", "output_size", "convolve_grayscale_valid")}
    assert found["global_average_pool"] == [("s.py, line 4: return p(images)", "uses autograder.reference.pool")]
    assert [t for _, t in found["pool"]] == ["reaches autograder at run time"]
    assert {t for _, t in found["output_size"]} == {"imports from solutions", "uses solutions.conv_output_size"}
    assert found["convolve_grayscale_valid"] == []    # the file imports the reference; this function never uses it


def test_a_notebook_functions_names_bound_in_other_cells_are_read_through():
    sub = Submission("notebook", [Source("`f`", "def convolve_grayscale_valid(images, kernel):\n"
                                                 "    return np.fft.irfft2(images)\n", "notebook", names={"np": "numpy"})])
    r = {x.id: x for x in check_rules(sub, registry.get("convolve_grayscale_valid"))}
    assert not r["forbidden-call"].passed and "numpy.fft.irfft2" in r["forbidden-call"].message

