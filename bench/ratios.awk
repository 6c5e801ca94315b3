# ratios.awk turns `benchstat -col /lib -format csv` output into Markdown
# tables: for time units each library's median and its multiple of the
# floor's, for every other unit the medians alone. The floor must be the
# first column (it is: the benchmarks run it first).
BEGIN { FS = ","; state = 0 }

function human(v, unit,    a) {
	if (v == "") return ""
	if (unit ~ /^sec|-sec$|sec\//) {
		a = v + 0
		if (a < 1e-6) return sprintf("%.0f ns", a * 1e9)
		if (a < 1e-3) return sprintf("%.1f µs", a * 1e6)
		if (a < 1)    return sprintf("%.1f ms", a * 1e3)
		return sprintf("%.2f s", a)
	}
	a = v + 0
	if (a >= 1e6) return sprintf("%.2fM", a / 1e6)
	if (a >= 1e4) return sprintf("%.1fk", a / 1e3)
	if (a == int(a)) return sprintf("%d", a)
	return sprintf("%.2f", a)
}

# A header line: ",floor,,nlengine,,,,mdlayher,..."; the unit line follows.
/^,/ && state == 0 {
	nlib = 0
	for (i = 2; i <= NF; i++) if ($i != "") { nlib++; col[nlib] = i; name[nlib] = $i }
	state = 1
	next
}
/^,/ && state == 1 {
	unit = $2
	timeunit = (unit ~ /sec/)
	printf "\n#### %s%s\n\n| benchmark |", unit, timeunit ? " (× floor)" : ""
	for (k = 1; k <= nlib; k++) printf " %s |", name[k]
	printf "\n|---|"
	for (k = 1; k <= nlib; k++) printf "---:|"
	printf "\n"
	state = 2
	next
}
state == 2 && /^geomean/ { next }
state == 2 && NF == 0 { state = 0; next }
state == 2 {
	row = $1
	sub(/-[0-9]+$/, "", row) # the GOMAXPROCS suffix
	printf "| %s |", row
	base = $(col[1]) + 0
	for (k = 1; k <= nlib; k++) {
		v = $(col[k])
		cell = human(v, unit)
		if (timeunit && k > 1 && v != "" && base > 0) cell = cell sprintf(" (×%.2f)", (v + 0) / base)
		printf " %s |", cell
	}
	printf "\n"
}
