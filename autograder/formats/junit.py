"""JUnit XML: a test suite per exercise, a test case per case, failures with their stage and message."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..grading.results import SubmissionResult

__all__ = ["to_junit"]


def to_junit(result: SubmissionResult) -> str:
    root = ET.Element("testsuites", name="convcourse", tests=str(sum(e.total for e in result.exercises)),
                      failures=str(sum(e.total - e.passed for e in result.exercises)))
    for e in result.exercises:
        suite = ET.SubElement(root, "testsuite", name=e.slug, tests=str(max(e.total, 1)),
                              failures=str(e.total - e.passed if e.cases else (0 if e.status == "passed" else 1)))
        if not e.cases:
            tc = ET.SubElement(suite, "testcase", classname=e.slug, name=e.status)
            if e.status != "passed":
                ET.SubElement(tc, "failure", message=e.status).text = e.message
            continue
        for c in e.cases:
            tc = ET.SubElement(suite, "testcase", classname=e.slug, name=c.name)
            if not c.passed:
                ET.SubElement(tc, "failure", message=c.stage, type=c.stage).text = c.message
        for r in e.rules:
            tc = ET.SubElement(suite, "testcase", classname=e.slug, name=f"rule {r.id}")
            if not r.passed:
                ET.SubElement(tc, "failure", message=r.id, type="rule").text = r.message
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
