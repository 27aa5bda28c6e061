# Turn one test binary's TAP output into PASS/FAIL/SKIP lines.
#
# Variables: suite (name shown before each test), rc (the binary's exit
# status). A planned test without a result, a result beyond the plan (a
# test reported twice, a forked child that went on running tests), a
# non-zero exit without any failing test (a crash, a timeout, a bail-out)
# and a binary with no TAP at all each count as a failure of their own.
function emit(kind, name) {
	printf "%s %s/%s\n", kind, suite, name
	n[kind]++
}
/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; seen_plan = 1; next }
/^(not )?ok [0-9]+/ {
	fail = ($1 == "not")
	name = $0
	sub(/^(not )?ok [0-9]+ ?/, "", name)
	kind = fail ? "FAIL" : "PASS"
	if (!fail && name ~ /# *SKIP/) kind = "SKIP"
	sub(/ *# *(SKIP|XFAIL|XPASS|error).*$/, "", name)
	if (name == "") name = "test-" (results + 1)
	emit(kind, name)
	results++
	next
}
END {
	if (!seen_plan && results == 0)
		emit("FAIL", "(no TAP output; exit status " rc ")")
	else if (results < plan)
		emit("FAIL", "(" plan - results " planned tests without a result; exit status " rc ")")
	else if (seen_plan && results > plan)
		emit("FAIL", "(" results - plan " results beyond the plan of " plan "; exit status " rc ")")
	if (rc != 0 && n["FAIL"] == 0)
		emit("FAIL", "(exit status " rc (rc == 124 ? ": timed out" : rc > 128 ? ": killed by signal " rc - 128 : "") ")")
}
