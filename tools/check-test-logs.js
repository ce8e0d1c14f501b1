// After `npm test`: the lines every test process wrote through Nest's Logger (tools/testing/log-capture.ts) are
// grepped for the values the suite's redaction scenarios write into masked or excluded columns. None may appear:
// a library log line carries counts, names, statuses and error classes, never an audited value (issue 31).
const { existsSync, readdirSync, readFileSync } = require('fs');
const path = require('path');

/** The redacted values of the suite's scenarios (masked or excluded columns): each test spells them this way. */
const REDACTED_VALUES =
  /[\w.-]*-secret\b|[\w.]*@secret\.example\b|\bsecret@example\.com\b|\bsecret\.person@example\.com\b|\bsecret-(?:hash|\d+)\b/;

function checkTestLogs(dir) {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')) : [];
  let lines = 0;
  const leaks = [];
  for (const file of files)
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      const match = REDACTED_VALUES.exec(line);
      if (match) leaks.push({ value: match[0], line: line.slice(0, 400) });
    }
  return { files: files.length, lines, leaks };
}

module.exports = { checkTestLogs, REDACTED_VALUES };
