#!/bin/sh
# complyd.toml(5) from docs/configuration.md, so the two cannot drift:
#   config-man.sh CONFIGURATION.md VERSION OUT.5 [GO-MD2MAN]
# The markdown's tables become tagged paragraphs (a key, its type and
# default, then its meaning): four columns do not fit 80 terminal columns.
# Links become their text; go-md2man renders the rest.
set -eu
src=$1 version=$2 out=$3 md2man=${4:-go-md2man}
tmp=$out.md
trap 'rm -f "$tmp" "$tmp.roff"' EXIT

# The first "# " heading is replaced by the NAME/SYNOPSIS header below.
sed -E '1{/^# /d}; s/\[([^]]*)\]\([^)]*\)/\1/g' "$src" | awk '
  function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
  function cells(line, arr,   n, i) {
    gsub(/\\\|/, "\001", line)             # an escaped | inside a cell
    sub(/^[ \t]*\|/, "", line); sub(/\|[ \t]*$/, "", line)
    n = split(line, arr, "|")
    for (i = 1; i <= n; i++) { arr[i] = trim(arr[i]); gsub(/\001/, "|", arr[i]) }
    return n
  }
  /^\|/ {
    if (!intable) { intable = 1; ncols = cells($0, head); header = 1; print ""; next }
    if (header) { header = 0; next }       # the |---| delimiter row
    n = cells($0, c)
    attrs = c[2]
    for (i = 3; i < n; i++) if (c[i] != "") attrs = attrs "; " head[i] " " c[i]
    print c[1]
    if (n > 2 && c[n] != "") print ": " attrs "  \n" c[n]
    else print ": " attrs
    print ""
    next
  }
  { intable = 0; print }
' > "$tmp"
"$md2man" -in "$tmp" -out "$tmp.roff"  # not in a pipe: sh would not see it fail

{
  printf '%s\n' ".TH COMPLYD.TOML 5 \"\" \"complyd $version\" \"File Formats\"" \
    '.\" Generated from docs/configuration.md by packaging/config-man.sh: edit that file.' \
    '.SH NAME' 'complyd.toml \- configuration file of complyd(8)' \
    '.SH SYNOPSIS' '.I /etc/complyd/complyd.toml' \
    '.SH DESCRIPTION'
  # Protect text lines that start with a dot (go-md2man does not); section
  # titles in capitals, as man pages have them; bullet lists at the margin
  # of the text (go-md2man insets them, and after a key they read as part
  # of its description).
  sed -e 's/^\.\([^A-Za-z]\)/\\\&.\1/' -e '/^\.SH [^\\]*$/s/.*/\U&/' "$tmp.roff" | awk '
    held { held = 0; if ($0 ~ /^\.IP \\\(bu/) inlist = 1; else print ".RS" }
    /^\.RS$/ && !inlist { held = 1; next }
    /^\.RE$/ && inlist { inlist = 0; next }
    { print }'
  printf '%s\n' '.SH SEE ALSO' '.BR complyd (8),' \
    '.IR /usr/share/doc/complyd/configuration.md ,' \
    '.IR /usr/share/doc/complyd/sources.md ,' \
    '.I /usr/share/doc/complyd/checks.md'
} > "$out"
