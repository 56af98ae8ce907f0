"""Every EMPORIUM_* variable that a file under deploy/ names is a setting of docs/configuration.md.

Arguments: the folder to scan (deploy/). Prints FILE:LINE for each unknown name.
"""

import os
import re
import sys

import facts


def main():
    root = sys.argv[1]
    documented = facts.documented_variables()
    problems = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("checks", "__pycache__")]
        for file in sorted(files):
            path = os.path.join(folder, file)
            try:
                lines = open(path, encoding="utf-8").read().splitlines()
            except (UnicodeDecodeError, OSError):
                continue
            for number, line in enumerate(lines, 1):
                for name in re.findall(r"\bEMPORIUM_[A-Z0-9_]*[A-Z0-9]\b", line):
                    if name not in documented:
                        problems.append(f"{path}:{number}: {name} is not a setting of docs/configuration.md")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("every EMPORIUM_* variable under deploy/ is documented")


if __name__ == "__main__":
    main()
