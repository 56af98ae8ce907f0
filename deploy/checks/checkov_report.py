"""Reads checkov's JSON report (standard input) and fails on any failed check, and on any skip
without a reason (checkov.io/skipN: ID=reason annotations, #checkov:skip=ID:reason comments).
Prints the check, the resource, the file and lines of each failure; and what was skipped, why.
"""

import json
import sys


def main():
    data = json.load(sys.stdin)
    reports = data if isinstance(data, list) else [data]
    problems, lines = [], []
    for report in reports:
        if "results" not in report:
            continue
        summary = report["summary"]
        lines.append(f"{report['check_type']}: {summary['passed']} passed, {summary['failed']} failed, "
                     f"{summary['skipped']} skipped, {summary['parsing_errors']} parsing errors")
        if summary["parsing_errors"]:
            problems.append(f"{report['check_type']}: checkov could not parse {summary['parsing_errors']} file(s)")
        for failed in report["results"].get("failed_checks", []):
            start, end = failed.get("file_line_range") or [0, 0]
            problems.append(f"{failed['repo_file_path']}:{start}-{end} {failed['resource']}: "
                            f"{failed['check_id']} {failed['check_name']}")
        reasons = {}
        for skipped in report["results"].get("skipped_checks", []):
            reason = (skipped.get("check_result") or {}).get("suppress_comment") or ""
            if not reason.strip() or reason.strip() == "No comment provided":
                problems.append(f"{skipped['repo_file_path']} {skipped['resource']}: {skipped['check_id']} skipped without a reason")
            reasons.setdefault(skipped["check_id"], reason)
        for check_id, reason in sorted(reasons.items()):
            lines.append(f"  skipped {check_id}: {reason}")
    print("\n".join(problems + lines))
    sys.exit(1 if problems or not lines else 0)


if __name__ == "__main__":
    main()
