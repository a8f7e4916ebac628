# An exception class whose name holds a newline and a forged summary line for a classmate: the name
# comes back as "Error" (tests/classroom/test_attack_summary_forgery.py grades it in a class).
E = type("E\n  bob  0/141 copied", (Exception,), {})
raise E("x")

def output_00(*a):
    return 0
