#!/usr/bin/env bash
# first_last: reads "PARTITION OFFSET" lines and prints "0:FIRST-LAST 1:... 2:..." for
# partitions 0-2 in order: "none" for a partition without records, "gap" when its offsets are not
# consecutive and ascending (a record skipped or repeated). The table tests of -o forms compare
# it with the expected ranges.
first_last() {
  awk '
    { if (!($1 in first)) { first[$1] = $2 }
      else if ($2 != last[$1] + 1) { bad[$1] = 1 }
      last[$1] = $2 }
    END { out = ""
      for (p = 0; p <= 2; p++) {
        s = !(p in first) ? "none" : bad[p] ? "gap" : first[p] "-" last[p]
        out = out (p ? " " : "") p ":" s }
      print out }'
}
