"""nbgrader's configuration for the convcourse course: run every nbgrader command from this folder.

    cd course
    nbgrader generate_assignment 01_convolution_by_hand     # student version into release/
    nbgrader autograde 01_convolution_by_hand               # submitted/<student>/... into autograded/

The notebooks under source/ are generated from lessons/*.py by `convcourse build-course` (edit those,
not the notebooks). Each graded cell calls `autograder.course.notebook.autograde`, whose result is the cell's
partial credit; hidden cases run only inside `### BEGIN HIDDEN TESTS` regions, i.e. only at autograde.
Set CONVCOURSE_SECRET in the environment of `nbgrader autograde` so that students cannot compute their
hidden cases; the students' kernels never get it (only each student's own key).
"""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

# -- the course ----------------------------------------------------------------------------------------
c.CourseDirectory.course_id = "convcourse"
# The gradebook lives beside this file (course/gradebook.db, never committed).
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# -- generating the student version --------------------------------------------------------------------
# An untouched exercise is an empty function body (the graders report "not implemented yet" for it) or
# an answer left at `...`: the student version runs top to bottom without an error.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# -- running notebooks (validate, autograde) -----------------------------------------------------------
# Seconds a cell may run before nbgrader interrupts it; notebook 6 times the student's code.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# Student code runs in the same kernel as the graded cells: the kernel gets each student's own key of
# hidden cases, never CONVCOURSE_SECRET, and whatever a cell shows of either is replaced before the
# autograded notebook is saved (so feedback, made from it, never holds them). nbgrader's own list
# otherwise, in its order (autograder/course/nbgrader_preprocessors.py).
c.Autograde.autograde_preprocessors = [
    "autograder.course.nbgrader_preprocessors.StudentKeyExecute",
    "autograder.course.nbgrader_preprocessors.RedactSecret",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# -- feedback ------------------------------------------------------------------------------------------
# Feedback is made from the autograded notebooks, whose graded cells hold the hidden-test regions again:
# clear them, so that feedback never shows hidden test code. (The graded cells catch every error of the
# student's code and show hidden cases without their inputs, so no traceback leaks them either.)
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
